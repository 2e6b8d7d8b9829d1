# acrhealth (MIT licence). The lab's hostile answers: /v2/ variants, raw writes, the collector host.
"""Hostile mode of the lab's fake Azure (a mixin of `fakeazure.Handler`): the /v2/ answer of each
hostile behaviour (`_v2_<behaviour>`: odd statuses, redirects, challenge variants, broken HTTP),
raw writes on the connection, and the collector host that must receive nothing."""
import json
import socket
import struct

from . import scenarios as S
from .fake_acr import _UNAUTHORIZED, _acr_errors


class HostileMixin:
    """Hostile-mode answers of `fakeazure.Handler` (chosen by a registry's `behaviour`)."""

    # -- hostile mode: a host that must receive nothing ------------------------------------------
    def _collector(self):
        """collector.lab.test: where hostile registries redirect to or point their realm at. It answers
        like a registry would (tempting a client to go on); the tests assert it was never reached."""
        h = self.host
        return self._json(401, _acr_errors('UNAUTHORIZED', 'authentication required'),
                          [('WWW-Authenticate', 'Bearer realm="https://{h}/oauth2/token",service="{h}"'.format(h=h))])

    # -- hostile /v2/ answers (one method per behaviour: _v2_<behaviour>) ------------------------
    def _v2_v2status500(self, hdr):
        return self._json(500, _acr_errors('INTERNAL_ERROR', 'internal server error'), hdr)

    def _v2_v2status503(self, hdr):
        return self._json(503, _acr_errors('UNAVAILABLE', 'service unavailable'), hdr + [('Retry-After', '1')])

    def _v2_v2status404(self, hdr):
        return self._json(404, _acr_errors('NOT_FOUND', 'not found'), hdr)

    def _v2_v2redirectloop(self, hdr):
        return self._send(302, b'', headers=hdr + [('Location', 'https://{}/v2/'.format(self.host))])

    def _v2_v2redirectaway(self, hdr):
        return self._send(302, b'', headers=hdr + [('Location', 'https://{}/v2/'.format(S.COLLECTOR_HOST))])

    def _v2_v2redirecthttp(self, hdr):
        return self._send(302, b'', headers=hdr + [('Location', 'http://{}/v2/'.format(S.COLLECTOR_HOST))])

    def _v2_v2noauthheader(self, hdr):
        return self._json(401, _UNAUTHORIZED, hdr)

    def _v2_chlowercase(self, hdr):
        return self._json(401, _UNAUTHORIZED, hdr + [('WWW-Authenticate', 'bearer' + self._challenge()[6:])])

    def _v2_chuppercase(self, hdr):
        h = self.host
        return self._json(401, _UNAUTHORIZED, hdr + [
            ('WWW-Authenticate', 'BEARER REALM="https://{h}/oauth2/token",SERVICE="{h}"'.format(h=h))])

    def _v2_chwhitespace(self, hdr):
        h = self.host
        return self._json(401, _UNAUTHORIZED, hdr + [
            ('WWW-Authenticate', 'Bearer   realm = "https://{h}/oauth2/token" ,  service =\t"{h}" '.format(h=h))])

    def _v2_chquotedcomma(self, hdr):
        h = self.host
        return self._json(401, _UNAUTHORIZED, hdr + [
            ('WWW-Authenticate', 'Bearer realm="https://{h}/oauth2/token",scope="registry:catalog:*,'
                                 'repository:a:pull",service="{h}"'.format(h=h))])

    def _v2_chtwoinone(self, hdr):
        return self._json(401, _UNAUTHORIZED, hdr + [
            ('WWW-Authenticate', 'Basic realm="{}", {}'.format(self.host, self._challenge()))])

    def _v2_chtwoheaders(self, hdr):
        return self._json(401, _UNAUTHORIZED, hdr + [('WWW-Authenticate', 'Basic realm="{}"'.format(self.host)),
                                                     ('WWW-Authenticate', self._challenge())])

    def _v2_chreversed(self, hdr):
        h = self.host
        return self._json(401, _UNAUTHORIZED, hdr + [
            ('WWW-Authenticate', 'Bearer service="{h}",realm="https://{h}/oauth2/token"'.format(h=h))])

    def _v2_chnoservice(self, hdr):
        return self._json(401, _UNAUTHORIZED, hdr + [
            ('WWW-Authenticate', 'Bearer realm="https://{}/oauth2/token"'.format(self.host))])

    def _v2_chbasiconly(self, hdr):
        return self._json(401, _UNAUTHORIZED, hdr + [('WWW-Authenticate', 'Basic realm="{}"'.format(self.host))])

    def _v2_chhttprealm(self, hdr):
        return self._json(401, _UNAUTHORIZED, hdr + [('WWW-Authenticate', 'Bearer realm="http://{h}/oauth2/token",'
                                                      'service="{h}"'.format(h=self.host))])

    def _v2_chforeignrealm(self, hdr):
        return self._json(401, _UNAUTHORIZED, hdr + [('WWW-Authenticate', 'Bearer realm="https://{}/oauth2/token",'
                                                      'service="{}"'.format(S.COLLECTOR_HOST,
                                                                            self.host))])

    def _head(self, status_line, headers):
        lines = [status_line] + ['{}: {}'.format(k, v) for k, v in headers]
        return ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1')

    def _v2_head(self, hdr, *extra, version='HTTP/1.1'):
        return self._head(version + ' 401 Unauthorized', [('Content-Type', 'application/json; charset=utf-8')] +
                          list(extra) + hdr + [('WWW-Authenticate', self._challenge())])

    def _v2_v2hugebody(self, hdr):
        body = json.dumps(_UNAUTHORIZED).encode()

        def chunks():
            yield self._v2_head(hdr, ('Content-Length', str(S.HUGE_BODY))) + body
            left, pad = S.HUGE_BODY - len(body), b' ' * 65536
            while left > 0:
                yield pad[:left]
                left -= len(pad)
        return self._raw(401, chunks())

    def _v2_v2slowbody(self, hdr):
        body = json.dumps(_UNAUTHORIZED).encode()
        return self._raw(401, [self._v2_head(hdr, ('Content-Length', str(len(body))))] + [bytes([b]) for b in body],
                         pace=S.DRIP_SECONDS, first_now=True)

    def _v2_v2truncated(self, hdr):
        body = json.dumps(_UNAUTHORIZED).encode()
        return self._raw(401, [self._v2_head(hdr, ('Content-Length', '1000')) + body[:40]])

    def _v2_v2http10(self, hdr):
        body = json.dumps(_UNAUTHORIZED).encode()
        return self._raw(401, [self._v2_head(hdr, ('Connection', 'close'), version='HTTP/1.0') + body])

    def _v2_v2badchunked(self, hdr):
        return self._raw(401, [self._v2_head(hdr, ('Transfer-Encoding', 'chunked')) +
                               b'zz\r\n{"errors":[{"code":"UNAUTHORIZED"\r\n-1\r\n'])

    def _v2_v2dripheaders(self, hdr):
        body = json.dumps(_UNAUTHORIZED).encode()
        data = self._v2_head(hdr, ('Content-Length', str(len(body)))) + body
        return self._raw(401, [bytes([b]) for b in data], pace=S.DRIP_SECONDS)

    def _v2_v2garbage(self, hdr):
        return self._raw(None, [b'SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n'])

    def _v2_v2hugeheader(self, hdr):
        return self._json(401, _UNAUTHORIZED, hdr + [('WWW-Authenticate', self._challenge()),
                                                     ('X-Lab-Padding', 'a' * 200 * 1024)])

    def _v2_v2manyheaders(self, hdr):
        return self._json(401, _UNAUTHORIZED, hdr + [('WWW-Authenticate', self._challenge())] +
                          [('X-Lab-{}'.format(n), str(n)) for n in range(150)])

    def _v2_v2reset(self, hdr):
        self._write_log('reset')
        self.close_connection = True
        # SO_LINGER 0: closing the socket (after this handler returns) sends RST, not FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))

    def _raw(self, status, chunks, pace=None, first_now=False):
        """Write CHUNKS (bytes) on the connection exactly as given, PACE seconds apart, then close."""
        self._write_log(status)
        self.close_connection = True
        stop = self.server.lab.stopping
        for n, chunk in enumerate(chunks):
            if pace and not (first_now and n == 0) and stop.wait(pace):
                return
            self.wfile.write(chunk)
            if stop.is_set():
                return
