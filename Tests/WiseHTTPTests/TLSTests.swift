import Foundation
import Testing
@testable import WiseHTTP
import TestSupport

/// TLS against a real HTTPS server on loopback (Python's ssl module with a self-signed certificate).
@Suite(.enabled(if: Tools.hasOpenSSL, Comment(rawValue: Tools.Reason.openSSL)))
struct TLSTests {
    /// Starts `python3` serving HTTPS on 127.0.0.1 with a fresh self-signed certificate; returns the process and port.
    func startServer() async throws -> (Process, Int) {
        let server = try await HTTPSTestServer.start(in: try TempDirectory.make("tls"), handler: """
            class H(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    body = b"secure hello"
                    self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
                def log_message(self, *a): pass
            """)
        return (server.process, server.port)
    }

    @Test func anUntrustedCertificateIsRefusedUnlessVerificationIsOff() async throws {
        // Given an HTTPS server whose certificate no CA signed
        let (server, port) = try await startServer()
        // SIGKILL: a child may inherit a mask that blocks SIGTERM from the test process's threads.
        defer { kill(server.processIdentifier, SIGKILL) }
        let url = "https://127.0.0.1:\(port)/"
        // When fetched with the default transport / Then TLS verification refuses it
        let strict = HTTPTransport()
        defer { strict.shutdown() }
        do {
            _ = try await strict.send(.get(url, timeout: 10))
            Issue.record("a self-signed certificate was accepted")
        } catch let error as HTTPError {
            guard case .tlsFailed = error else { Issue.record("expected a TLS failure, got \(error)"); return }
        }
        // And with verification switched off the same server answers over TLS
        var options = HTTPTransport.Options()
        options.verifyTLS = false
        let lax = HTTPTransport(options: options)
        defer { lax.shutdown() }
        let response = try await lax.send(.get(url, timeout: 10))
        #expect(response.status == 200 && response.text == "secure hello")
    }
}
