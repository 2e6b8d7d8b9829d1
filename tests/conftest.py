# acrhealth (MIT licence). Test-wide pytest configuration.
pytest_plugins = ['tests.lab.fixtures']
