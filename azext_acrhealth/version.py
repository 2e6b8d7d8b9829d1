# acrhealth (MIT licence). The extension's version, read by setup.py and the report.
VERSION = '1.0.0b4'
