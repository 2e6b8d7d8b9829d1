# acrhealth (MIT licence). The lab's namespace process: mounts, servers, dockerd and registries.
"""Runs as `unshare -n -m --fork -- python -m tests.lab.inside STATE_DIR` (started by lab.py).

Inside a private network and mount namespace it brings up loopback, bind-mounts the lab's
/etc/hosts, /etc/resolv.conf and /etc/docker, makes the CAs and certificates, starts the fake
Azure, three real docker-registry instances and a real dockerd, pushes the sample image,
writes STATE_DIR/lab.json and waits for SIGTERM. Everything it started is stopped before it
exits; every child also carries PR_SET_PDEATHSIG so nothing outlives it even on SIGKILL.
"""
import ctypes
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback

from . import scenarios as S
from .pki import CertificateAuthority, make_bundle, self_signed

# Loopback addresses (the whole 127/8 is ours inside the namespace).
IP_AZURE = '127.0.0.10'       # AAD, ARM and every fake ACR login server (SNI picks the certificate)
IP_MCR = '127.0.0.20'         # docker-registry with the sample image, as mcr.microsoft.com
IP_OPEN = '127.0.0.21'        # docker-registry without auth
IP_BASIC = '127.0.0.22'       # docker-registry with htpasswd
IP_BLACKHOLE = '127.0.0.66'   # accepts, never answers
IP_DNS = '127.0.0.53'         # dnsmasq: the private-DNS scenario's names, with their real CNAME chains
IP_COLLECTOR = '127.0.0.30'   # hostile mode: collector.lab.test, logs every connection (must get none)
IP_ARM_COLLECTOR = '127.0.0.31'  # hostile mode: armcollector.lab.test, the same for a foreign ARM nextLink
# Hostile mode also taps these (logs any connection: nothing may arrive there): plain HTTP on the fake
# Azure's and the collector's addresses, and 127.0.0.1:443 (where a connection to 0.0.0.0 would land).
TAPS = ((IP_AZURE, 80, 'plain-http'), (IP_COLLECTOR, 80, 'plain-http'), ('127.0.0.1', 443, 'localhost-https'),
        ('127.0.0.1', 80, 'plain-http'))
BASIC_USER, BASIC_PASSWORD = 'labuser', 'labpassword'

PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL('libc.so.6', use_errno=True)


def _die_with_parent(sig=signal.SIGKILL):
    def preexec():
        _libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        os.setpgid(0, 0)
    return preexec


def _run(argv, **kw):
    kw.setdefault('timeout', 60)
    return subprocess.run(argv, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)


def host_map():
    """Host name -> loopback IP for the lab's /etc/hosts (names left out do not resolve)."""
    hosts = {S.AAD_HOST: IP_AZURE, S.ARM_HOST: IP_AZURE, S.ARM_HOST_NOSUFFIX: IP_AZURE, S.MCR_HOST: IP_MCR,
             S.COLLECTOR_HOST: IP_COLLECTOR, S.ARM_COLLECTOR_HOST: IP_ARM_COLLECTOR}
    for sc in S.ALL_SCENARIOS:
        if not sc.in_dns or sc.backend == S.NONE:
            continue
        ip = getattr(sc, 'address', None) or {S.FAKE: IP_AZURE, S.OPEN_REGISTRY: IP_OPEN,
                                              S.BASIC_REGISTRY: IP_BASIC, S.BLACKHOLE: IP_BLACKHOLE}[sc.backend]
        if sc.data == 'public' or sc.arm.get('dual_stack'):  # answered by the lab's DNS server (dns_records)
            continue
        hosts[sc.login_server] = ip
        if sc.arm.get('private_endpoint'):
            hosts[S.data_host(sc.registry)] = ip
        if sc.arm.get('regional_endpoints'):
            hosts[S.regional_host(sc.registry)] = ip
        if sc.arm.get('data_endpoints') and sc.data != 'notindns':
            hosts[S.data_host(sc.registry)] = {'blackhole': IP_BLACKHOLE, 'public': S.PUBLIC_DATA_IP}.get(
                sc.data, IP_AZURE)
    hosts[S.STORAGE_HOST] = IP_AZURE
    return hosts


def dns_names():
    """The names the lab's DNS server answers (they get certificates like the hosts file's)."""
    return [option.split('=', 1)[1].split(',')[0] for option in dns_records()
            if option.startswith(('--host-record=', '--cname='))]


def dns_records():
    """dnsmasq options for the names a real DNS server answers in the lab: a dual-stack registry, and a registry with public
    access disabled whose login server is in the privatelink.azurecr.io private zone (the CNAME
    chain Azure publishes: <registry>.azurecr.io -> <registry>.privatelink.azurecr.io -> the zone's
    A record), while its data endpoint's record was never added to the zone, so the chain goes on
    to the public regional data endpoint (a public address: only ever answered, never connected to)."""
    options = []
    zone = '.privatelink' + S.ACR_SUFFIX
    for sc in S.ALL_SCENARIOS:
        if sc.arm.get('dual_stack'):
            # A dual-stack registry (endpointProtocol IPv4AndIPv6): A and AAAA records for its login
            # server and data endpoint; the IPv6 address sorts first and is dead: nobody listens
            # there (refused at once), or, 'silent', nothing ever answers.
            ipv6 = S.SILENT_IPV6 if sc.arm['dual_stack'] == 'silent' else S.DEAD_IPV6
            options += ['--host-record={},{},{}'.format(host, IP_AZURE, ipv6)
                        for host in (sc.login_server, S.data_host(sc.registry))]
        if sc.data != 'public':
            continue
        private = sc.registry + zone
        data, data_private = S.data_host(sc.registry), '{}.{}.data{}'.format(sc.registry, S.LOCATION, zone)
        public = '{}-acr-dp.lab.test'.format(S.LOCATION)
        options += ['--cname={},{}'.format(sc.login_server, private), '--host-record={},{}'.format(private, IP_AZURE),
                    '--cname={},{}'.format(data, data_private), '--cname={},{}'.format(data_private, public),
                    '--host-record={},{}'.format(public, S.PUBLIC_DATA_IP)]
    return options


class Inside:
    def __init__(self, state):
        self.state = state
        self.procs = []            # (name, Popen)
        self.fake = None
        self.stopping = threading.Event()
        self.info = {'pid': os.getpid(), 'state': state}

    def path(self, *parts):
        p = os.path.join(self.state, *parts)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        return p

    # -- namespace ----------------------------------------------------------------------------
    def setup_namespace(self):
        _run(['mount', '--make-rprivate', '/'])
        _run(['ip', 'link', 'set', 'lo', 'up'])
        # A public-looking address to serve on, and a dead IPv6 one (nothing listens there): both on
        # this namespace's own loopback device, so nothing leaves it.
        _run(['ip', 'addr', 'add', S.PUBLIC_IP + '/32', 'dev', 'lo'])
        for address in (S.DEAD_IPV6, S.SILENT_IPV6):
            _run(['ip', '-6', 'addr', 'add', address + '/128', 'dev', 'lo', 'nodad'])
        hosts = host_map()
        with open(self.path('etc', 'hosts'), 'w') as f:
            f.write('127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n')
            for name, ip in sorted(hosts.items()):
                f.write('{}\t{}\n'.format(ip, name))
        with open(self.path('etc', 'resolv.conf'), 'w') as f:
            # The lab's dnsmasq: it knows the private-DNS names and refuses the rest at once.
            f.write('nameserver {}\noptions timeout:1 attempts:1\n'.format(IP_DNS))
        _run(['mount', '--bind', self.path('etc', 'hosts'), '/etc/hosts'])
        _run(['mount', '--bind', self.path('etc', 'resolv.conf'), '/etc/resolv.conf'])
        os.makedirs(self.path('etc-docker', 'certs.d', S.MCR_HOST, 'x'), exist_ok=True)
        os.makedirs('/etc/docker', exist_ok=True)  # a mount point; docker.io ships it already
        _run(['mount', '--bind', self.path('etc-docker'), '/etc/docker'])
        self.info['hosts'] = hosts

    # -- certificates -------------------------------------------------------------------------
    def make_certs(self):
        ca = CertificateAuthority(os.path.join(self.state, 'pki', 'lab'), 'acrhealth lab CA')
        bad = CertificateAuthority(os.path.join(self.state, 'pki', 'untrusted'), 'acrhealth untrusted CA')
        certs = {}
        served = (IP_AZURE, IP_COLLECTOR, IP_ARM_COLLECTOR, S.ADDRESS_IPV6, S.PUBLIC_IP)
        fake_hosts = [h for h, ip in self.info['hosts'].items() if ip in served] + [
            name for name in dns_names() if name.endswith(S.ACR_SUFFIX) and '.privatelink' not in name]
        tls = {sc.login_server: sc.tls for sc in S.HOSTILE if sc.tls}
        for host in fake_hosts:
            untrusted = {S.BY_NAME['untrustedcert'].login_server} | {
                S.data_host(sc.registry) for sc in S.SCENARIOS if sc.data == 'untrusted'}
            issuer = bad if host in untrusted else ca
            if tls.get(host) == 'wronghost':
                certs[host] = ca.issue(host, ['elsewhere.lab.test'])
            elif tls.get(host) == 'expired':
                certs[host] = ca.issue(host, [host], expired=True)
            elif tls.get(host) == 'unknownissuer':
                certs[host] = bad.issue(host, [host], chain=False)
            elif tls.get(host) == 'selfsigned':
                certs[host] = self_signed(os.path.join(self.state, 'pki', 'selfsigned'), host, host)
            else:
                certs[host] = issuer.issue(host, [host])
        self.registry_certs = {
            'mcr': ca.issue('mcr', [S.MCR_HOST]),
            'open': ca.issue('open', [S.BY_NAME['nochallenge'].login_server]),
            'basic': ca.issue('basic', [S.BY_NAME['basiconly'].login_server]),
        }
        bundle = make_bundle(ca, os.path.join(self.state, 'pki', 'ca-bundle.pem'))
        shutil.copy(ca.cert_path, self.path('etc-docker', 'certs.d', S.MCR_HOST, 'ca.crt'))
        # dockerd trusts the lab CA for every registry host (`az acr login`, `docker login`).
        for host in self.info['hosts']:
            if host.endswith(S.ACR_SUFFIX):
                shutil.copy(ca.cert_path, self.path('etc-docker', 'certs.d', host, 'ca.crt'))
        self.info.update(ca=ca.cert_path, untrusted_ca=bad.cert_path, ca_bundle=bundle)
        return certs

    # -- processes ----------------------------------------------------------------------------
    def spawn(self, name, argv, sig=signal.SIGKILL):
        log = open(self.path('logs', name + '.log'), 'ab')
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                             preexec_fn=_die_with_parent(sig))
        log.close()
        self.procs.append((name, p))
        return p

    def start_dns(self):
        """A real DNS server (Debian's dnsmasq) on IP_DNS: only the records of dns_records()."""
        dnsmasq = shutil.which('dnsmasq') or '/usr/sbin/dnsmasq'
        self.spawn('dnsmasq', [dnsmasq, '--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts',
                               '--no-poll', '--bind-interfaces', '--listen-address=' + IP_DNS, '--port=53',
                               '--user=root', '--pid-file=', '--log-facility=-', '--log-queries'] + dns_records())

    def start_registry(self, name, ip, cert, htpasswd=None):
        root = self.path('registries', name, 'data', 'x')
        lines = ['version: 0.1',
                 'log:', '  level: info', '  formatter: text', '  accesslog:', '    disabled: false',
                 'storage:', '  filesystem:', '    rootdirectory: ' + os.path.dirname(root),
                 '  delete:', '    enabled: true',
                 'http:', '  addr: {}:443'.format(ip), '  secret: ' + secrets.token_hex(16),
                 '  tls:', '    certificate: ' + cert[0], '    key: ' + cert[1],
                 'health:', '  storagedriver:', '    enabled: false']
        if htpasswd:
            lines += ['auth:', '  htpasswd:', '    realm: ' + htpasswd[0], '    path: ' + htpasswd[1]]
        cfg = self.path('registries', name, 'config.yml')
        with open(cfg, 'w') as f:
            f.write('\n'.join(lines) + '\n')
        self.spawn('registry-' + name, ['docker-registry', 'serve', cfg])

    def start_registries(self):
        import bcrypt
        htp = self.path('registries', 'basic', 'htpasswd')
        with open(htp, 'w') as f:
            f.write('{}:{}\n'.format(BASIC_USER, bcrypt.hashpw(BASIC_PASSWORD.encode(),
                                                               bcrypt.gensalt(rounds=5)).decode()))
        self.start_registry('mcr', IP_MCR, self.registry_certs['mcr'])
        self.start_registry('open', IP_OPEN, self.registry_certs['open'])
        self.start_registry('basic', IP_BASIC, self.registry_certs['basic'],
                            (S.BY_NAME['basiconly'].login_server, htp))

    def start_dockerd(self):
        d = os.path.join(self.state, 'docker')
        os.makedirs(d, exist_ok=True)
        sock = os.path.join(d, 'docker.sock')
        with open(os.path.join(d, 'daemon.json'), 'w') as f:
            f.write('{}\n')
        self.spawn('dockerd', ['dockerd', '--config-file', os.path.join(d, 'daemon.json'),
                               '--data-root', os.path.join(d, 'data'), '--exec-root', os.path.join(d, 'exec'),
                               '--pidfile', os.path.join(d, 'docker.pid'), '--host', 'unix://' + sock,
                               '--storage-driver', 'vfs', '--iptables=false', '--ip6tables=false',
                               '--bridge=none', '--log-level', 'warn'], sig=signal.SIGTERM)
        self.info['docker_host'] = 'unix://' + sock
        self.info['docker_config'] = os.path.join(self.state, 'docker-config')
        os.makedirs(self.info['docker_config'], exist_ok=True)
        return sock

    def wait_port(self, ip, port=443, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((ip, port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError('nothing listens on {}:{} after {}s'.format(ip, port, timeout))

    def wait_docker(self, sock, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_children()
            try:
                s = socket.socket(socket.AF_UNIX)
                s.settimeout(2)
                s.connect(sock)
                s.sendall(b'GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n')
                answer = s.recv(64)
                s.close()
                if b' 200 ' in answer:
                    return
                time.sleep(0.1)
            except OSError:
                time.sleep(0.1)
        raise RuntimeError('dockerd did not answer on {} within {}s'.format(sock, timeout))

    def check_children(self):
        for name, p in self.procs:
            if p.poll() is not None:
                raise RuntimeError('{} exited with {} (see {})'.format(
                    name, p.returncode, os.path.join(self.state, 'logs', name + '.log')))

    def docker_env(self):
        env = dict(os.environ)
        env.update(DOCKER_HOST=self.info['docker_host'], DOCKER_CONFIG=self.info['docker_config'])
        return env

    def seed_image(self):
        """Build a tiny image, push it to the lab's mcr.microsoft.com, then forget it locally,
        so the first `docker pull` really downloads it from the lab registry."""
        work = os.path.dirname(self.path('image', 'x'))
        with open(os.path.join(work, 'hello'), 'w') as f:
            f.write('Hello from the acrhealth lab.\n')
        env = self.docker_env()
        tar = subprocess.Popen(['tar', '-C', work, '-c', 'hello'], stdout=subprocess.PIPE)
        try:
            _run(['/usr/bin/docker', 'import', '--change', 'CMD ["/hello"]', '-', 'acrhealth-lab/hello-world:latest'],
                 stdin=tar.stdout, env=env)
        finally:
            tar.stdout.close()
            tar.wait(timeout=10)
        _run(['/usr/bin/docker', 'tag', 'acrhealth-lab/hello-world:latest', S.SAMPLE_IMAGE], env=env)
        _run(['/usr/bin/docker', 'push', S.SAMPLE_IMAGE], env=env)
        _run(['/usr/bin/docker', 'rmi', S.SAMPLE_IMAGE, 'acrhealth-lab/hello-world:latest'], env=env)

    def silence(self, address, port=443):
        """A listener that never accepts, its one-slot queue filled at once: the kernel then
        drops every new SYN, so a connection to ``address`` gets no answer at all."""
        listener = socket.socket(socket.AF_INET6)
        listener.bind((address, port))
        listener.listen(0)
        self.silent = [listener]
        for _ in range(3):
            filler = socket.socket(socket.AF_INET6)
            filler.setblocking(False)
            try:
                filler.connect((address, port))
            except BlockingIOError:
                pass
            self.silent.append(filler)

    # -- life cycle ---------------------------------------------------------------------------
    def start(self):
        t0 = time.monotonic()
        self.setup_namespace()
        certs = self.make_certs()
        sock = self.start_dockerd()           # slowest: start it first, use the time for the rest
        self.start_dns()
        self.start_registries()
        from .fakeazure import FakeAzure
        latency = float(os.environ.get('ACRHEALTH_LAB_LATENCY_MS') or 0) / 1000.0
        self.fake = FakeAzure(self.state, certs, latency=latency)
        self.fake.serve(IP_AZURE)
        self.fake.serve(S.PUBLIC_IP)
        self.fake.serve(IP_COLLECTOR, log_connections=True)
        self.fake.serve(IP_ARM_COLLECTOR, log_connections=True)
        try:
            self.fake.serve(S.ADDRESS_IPV6)
            self.info['ipv6'] = True
        except OSError as e:  # a kernel without IPv6: dnsipv6only then finds nothing listening
            self.info['ipv6'] = 'no IPv6 loopback in the lab namespace: {}'.format(e)
        for ip, port, label in TAPS:
            self.fake.tap(ip, port, label)
        self.silence(S.SILENT_IPV6)
        self.fake.blackhole(IP_BLACKHOLE)
        for ip in (IP_AZURE, IP_COLLECTOR, IP_ARM_COLLECTOR, IP_MCR, IP_OPEN, IP_BASIC):
            self.check_children()
            self.wait_port(ip)
        self.wait_port(IP_DNS, 53)
        self.wait_docker(sock)
        self.seed_image()
        self.check_children()
        self.info['latency_ms'] = latency * 1000
        self.info['ips'] = {'azure': IP_AZURE, 'mcr': IP_MCR, 'open': IP_OPEN, 'basic': IP_BASIC,
                            'blackhole': IP_BLACKHOLE, 'collector': IP_COLLECTOR,
                            'armCollector': IP_ARM_COLLECTOR}
        self.info['taps'] = [list(t) for t in TAPS]
        self.info['basic_auth'] = [BASIC_USER, BASIC_PASSWORD]
        self.info['startup_seconds'] = round(time.monotonic() - t0, 2)
        tmp = os.path.join(self.state, 'lab.json.tmp')
        with open(tmp, 'w') as f:
            json.dump(self.info, f, indent=1)
        os.rename(tmp, os.path.join(self.state, 'lab.json'))

    def stop(self):
        if self.fake:
            self.fake.stop()
        for name, p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
        for name, p in reversed(self.procs):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)


def main(state):
    inside = Inside(state)

    def on_signal(signum, _frame):
        inside.stopping.set()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    code = 0
    try:
        inside.start()
        while not inside.stopping.wait(0.5):
            inside.check_children()
    except Exception:  # report why the lab could not start, then clean up
        traceback.print_exc()
        with open(os.path.join(state, 'failed'), 'w') as f:
            f.write(traceback.format_exc())
        code = 1
    finally:
        inside.stop()
    return code


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
