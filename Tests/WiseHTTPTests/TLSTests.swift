import Foundation
import Testing
@testable import WiseHTTP
import TestSupport

/// TLS against a real HTTPS server on loopback (Python's ssl module with a self-signed certificate).
@Suite struct TLSTests {
    /// Starts `python3` serving HTTPS on 127.0.0.1 with a fresh self-signed certificate; returns the process and port.
    func startServer() async throws -> (Process, Int) {
        let dir = try TempDirectory.make("tls")
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=wise-test",
                             "-keyout", dir.appendingPathComponent("key.pem").path, "-out", dir.appendingPathComponent("cert.pem").path]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        openssl.standardInput = FileHandle.nullDevice
        try openssl.run()
        try await onOwnThread { openssl.waitUntilExit() }
        #expect(openssl.terminationStatus == 0, "openssl is needed for this test")
        let script = """
            import http.server, ssl, sys
            class H(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    body = b"secure hello"
                    self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
                def log_message(self, *a): pass
            server = http.server.HTTPServer(("127.0.0.1", 0), H)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(sys.argv[1], sys.argv[2])
            server.socket = context.wrap_socket(server.socket, server_side=True)
            print(server.server_address[1], flush=True)
            server.serve_forever()
            """
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", script, dir.appendingPathComponent("cert.pem").path, dir.appendingPathComponent("key.pem").path]
        let out = Pipe()
        python.standardOutput = out
        python.standardError = FileHandle.nullDevice
        python.standardInput = FileHandle.nullDevice
        try python.run()
        let line = try await onOwnThread { () -> String in
            var data = Data()
            while !data.contains(0x0A) {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                data.append(chunk)
            }
            return String(decoding: data, as: UTF8.self)
        }
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(python.processIdentifier, SIGKILL)
            throw HTTPError.invalidURL(url: "https://127.0.0.1", reason: "the HTTPS test server did not start: \(line)")
        }
        return (python, port)
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
