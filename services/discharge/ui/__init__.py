"""The discharge service's web pages: the check, the discharge, the auditors' reports."""
