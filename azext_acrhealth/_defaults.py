# acrhealth (MIT licence). What the command does when not told otherwise.
"""Defaults of the command's options, shared by its parameters, validators and checks (a module
of its own: the checks must not import the validators, which run when az loads)."""

DEFAULT_TIMEOUT = 30.0  # seconds for any one network call or child process
