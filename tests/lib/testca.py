"""testca.py — a throw-away certificate authority for the local TLS servers.

Owns: generating, with the `openssl` command, a CA and one server
certificate valid for localhost, 127.0.0.1, every host the recorded
fixtures talk to (api.openai.com, ...) and any more names a suite asks
for, so that

    curl --resolve api.openai.com:443:127.0.0.1 --cacert ca.pem https://api.openai.com:PORT/...

verifies against a local replay server. Never touches the system trust store.
Standard library only; used from tests and from servers.py's CLI.
"""
import os
import subprocess
import tempfile

# Hosts as recorded in ../shared/fixtures (meta.json "url"), plus loopback.
HOSTS = (
    "localhost",
    "api.openai.com",
    "api.anthropic.com",
    "api.cohere.com",
    "api.deepseek.com",
    "api.groq.com",
    "api.mistral.ai",
    "aiplatform.googleapis.com",
    "generativelanguage.googleapis.com",
    "bedrock-runtime.us-east-1.amazonaws.com",
    "test-resource.openai.azure.com",
    "traceloop-stg.openai.azure.com",
    "cloud.langfuse.com",
)
IPS = ("127.0.0.1",)


class TestCA:
    """Files: ca_pem (CA certificate), cert_pem + key_pem (server pair).

    TestCA(dirname) creates the files in dirname (a new temp dir if None);
    existing files there are reused, so a suite can share one CA.
    hosts: more DNS names for the server certificate (e.g. every host of
    the fixtures); files made for another list are made anew."""

    def __init__(self, dirname=None, hosts=()):
        self.dir = dirname or tempfile.mkdtemp(prefix="llmtap-ca-")
        os.makedirs(self.dir, exist_ok=True)
        self.ca_pem = os.path.join(self.dir, "ca.pem")
        self.ca_key = os.path.join(self.dir, "ca.key")
        self.cert_pem = os.path.join(self.dir, "server.pem")
        self.key_pem = os.path.join(self.dir, "server.key")
        self.hosts = HOSTS + tuple(sorted(set(hosts) - set(HOSTS)))
        names = os.path.join(self.dir, "hosts.txt")
        made_for = None
        if os.path.exists(names):
            with open(names) as f:
                made_for = tuple(f.read().split())
        elif not hosts:
            made_for = HOSTS  # made before hosts.txt existed: the fixed list
        if not (os.path.exists(self.ca_pem) and os.path.exists(self.cert_pem)
                and os.path.exists(self.key_pem)) or made_for != self.hosts:
            self._generate()
            with open(names, "w") as f:
                f.write("\n".join(self.hosts) + "\n")

    def _openssl(self, *args):
        r = subprocess.run(("openssl",) + args, cwd=self.dir, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("openssl %s failed: %s" % (args[0], r.stderr.decode(errors="replace")))

    def _generate(self):
        self._openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                      "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=llmtap test CA",
                      "-addext", "basicConstraints=critical,CA:TRUE",
                      "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        san = ",".join(["DNS:" + h for h in self.hosts] + ["IP:" + i for i in IPS])
        ext = os.path.join(self.dir, "server.ext")
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\n"
                    "keyUsage=digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage=serverAuth\n"
                    "subjectAltName=%s\n" % san)
        self._openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
                      "-out", "server.csr", "-subj", "/CN=localhost")
        self._openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                      "-CAcreateserial", "-days", "2", "-out", "server.pem", "-extfile", ext)

    def server_context(self):
        """An ssl.SSLContext for a server presenting the server certificate."""
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert_pem, self.key_pem)
        return ctx


if __name__ == "__main__":
    import sys
    ca = TestCA(sys.argv[1] if len(sys.argv) > 1 else None)
    print(ca.ca_pem)
