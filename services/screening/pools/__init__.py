"""Specimens, pools of up to ten swabs, their results and the retests they open."""
