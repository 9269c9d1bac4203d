import Foundation

/// A loopback HTTPS server in Python (the `http.server` handler class `H` comes from the caller)
/// with a self-signed certificate made by `openssl` for 127.0.0.1, which can also serve as the CA.
public struct HTTPSTestServer {
    public let process: Process
    public let port: Int
    /// The server's certificate in PEM, usable as a CA file.
    public let certificate: String

    /// Makes the certificate in `directory` and starts the server; `handler` defines `class H(http.server.BaseHTTPRequestHandler)`.
    public static func start(in directory: URL, handler: String) async throws -> HTTPSTestServer {
        let cert = directory.appendingPathComponent("cert.pem").path, key = directory.appendingPathComponent("key.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=wise-test",
                             "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        openssl.standardInput = FileHandle.nullDevice
        try openssl.run()
        try await onOwnThread { openssl.waitUntilExit() }
        let script = "import http.server, ssl, sys, json\n" + handler + """

            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(sys.argv[1], sys.argv[2])
            server.socket = context.wrap_socket(server.socket, server_side=True)
            print(server.server_address[1], flush=True)
            server.serve_forever()
            """
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = [TestPython.executable, "-c", script, cert, key]
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
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "the HTTPS test server did not start (openssl and python3 are needed): \(line)"])
        }
        return HTTPSTestServer(process: python, port: port, certificate: cert)
    }

    public func stop() { kill(process.processIdentifier, SIGKILL) }
}
