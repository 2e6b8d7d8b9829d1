# acrhealth (MIT licence). Packaging of the Azure CLI extension.
import os
import re

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, 'azext_acrhealth', 'version.py'), encoding='utf-8') as f:
    VERSION = re.search(r"VERSION = '([^']+)'", f.read()).group(1)
with open(os.path.join(HERE, 'README.rst'), encoding='utf-8') as f:
    README = f.read()
with open(os.path.join(HERE, 'HISTORY.rst'), encoding='utf-8') as f:
    HISTORY = f.read()

setup(
    name='acrhealth',
    version=VERSION,
    description='az acr check-health: find out why pulling from or pushing to an Azure '
                'Container Registry does not work.',
    long_description=README + '\n\n' + HISTORY,
    long_description_content_type='text/x-rst',
    # An SPDX license expression ('MIT'), no licence classifier: setuptools deprecates those.
    license='MIT',
    author='acrhealth developers',
    classifiers=[
        'Development Status :: 4 - Beta',
        'Intended Audience :: Developers',
        'Environment :: Console',
        'Programming Language :: Python :: 3',
    ],
    # Everything it uses (knack, requests, msal, azure-mgmt-containerregistry) ships with
    # the Azure CLI itself.
    install_requires=[],
    packages=find_packages(include=['azext_acrhealth', 'azext_acrhealth.*']),
    package_data={'azext_acrhealth': ['azext_metadata.json']},
)
