# acrhealth (MIT licence). The lab's certificate authorities and server certificates.
"""Two CAs made fresh for every lab start: the lab CA (trusted through REQUESTS_CA_BUNDLE and
docker's certs.d) and an untrusted CA whose certificates every client must refuse."""
import datetime
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _key():
    # P-256 keys: generated in milliseconds, unlike RSA, so start-up stays fast.
    return ec.generate_private_key(ec.SECP256R1())


def _write(path, data):
    with open(path, 'wb') as f:
        f.write(data)
    return path


def _pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class CertificateAuthority:
    """A self-signed CA that issues server certificates into a directory."""

    def __init__(self, directory, common_name):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        self.key = _key()
        now = datetime.datetime.now(datetime.timezone.utc)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'acrhealth lab')])
        self.name = name
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        self.cert_pem = self.cert.public_bytes(serialization.Encoding.PEM)
        self.cert_path = _write(os.path.join(directory, 'ca.crt'), self.cert_pem)

    def issue(self, basename, hostnames, expired=False, chain=True):
        """Write BASENAME.crt (leaf + CA chain) and BASENAME.key for HOSTNAMES; return both paths.
        EXPIRED: valid from three days ago until yesterday. CHAIN=False: the leaf alone."""
        key = _key()
        now = datetime.datetime.now(datetime.timezone.utc)
        if expired:
            not_before, not_after = now - datetime.timedelta(days=3), now - datetime.timedelta(days=1)
        else:
            not_before, not_after = now - datetime.timedelta(hours=1), now + datetime.timedelta(days=1)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostnames[0])]))
            .issuer_name(self.name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hostnames]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                           critical=False)
            .sign(self.key, hashes.SHA256())
        )
        crt = _write(os.path.join(self.directory, basename + '.crt'),
                     cert.public_bytes(serialization.Encoding.PEM) + (self.cert_pem if chain else b''))
        key_path = _write(os.path.join(self.directory, basename + '.key'), _pem_key(key))
        return crt, key_path


def self_signed(directory, basename, hostname):
    """Write a self-signed server certificate for HOSTNAME (its own issuer, trusted by nobody)."""
    os.makedirs(directory, exist_ok=True)
    key = _key()
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    crt = _write(os.path.join(directory, basename + '.crt'), cert.public_bytes(serialization.Encoding.PEM))
    key_path = _write(os.path.join(directory, basename + '.key'), _pem_key(key))
    return crt, key_path


def make_bundle(ca, path):
    """certifi's bundle plus the lab CA: what REQUESTS_CA_BUNDLE points at inside the lab."""
    import certifi
    with open(certifi.where(), 'rb') as f:
        data = f.read()
    return _write(path, data.rstrip(b'\n') + b'\n' + ca.cert_pem)
