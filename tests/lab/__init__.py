# acrhealth (MIT licence). The lab: a hermetic fake Azure cloud with real docker and az (see README.rst).
