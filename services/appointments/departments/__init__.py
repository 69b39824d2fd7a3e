"""Departments, their slot grid and a day's slots with places left."""
