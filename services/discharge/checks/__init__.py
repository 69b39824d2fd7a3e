"""Discharge checks: may this patient leave now? (Nothing is discharged.)"""
