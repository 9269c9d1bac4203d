import Foundation
import Synchronization
import WiseCore
import WiseHTTP

/// `minimal-client`: the least a Swift client can do to send the benchmark's requests, as a
/// floor for the harness: one transport, a task group that keeps `concurrency` requests in
/// flight, a body built by concatenation, and just enough decoding to check each reply.
enum MinimalClient {
    static let options: Set<String> = ["--url", "--images", "--count", "--concurrency", "--key", "--model"]

    /// The same rubric-sized text the Python baseline sends, so bodies are alike.
    static let rubric = String(repeating: "Rate how well the image matches the prompt and its explanation. ", count: 20)

    struct Figures: Encodable {
        var client = "swift-minimal"
        var requests: Int
        var ok: Int
        var wall_s: Double
        var cpu_s: Double
        var max_rss_mb: Double
    }

    static func run(_ arguments: Arguments) throws {
        let base = try arguments.required("--url")
        let images = URL(fileURLWithPath: try arguments.required("--images"))
        let count = try arguments.int("--count", default: 1000)
        let concurrency = try arguments.int("--concurrency", default: 64)
        let key = arguments.string("--key", default: Serve.apiKey)
        let model = arguments.string("--model", default: Serve.model)
        let url = base.hasSuffix("/chat/completions") ? base : base + "/chat/completions"

        let started = monotonicSeconds()
        let ok = try runBlocking {
            try await send(url: url, images: images, count: count, concurrency: concurrency, key: key, model: model)
        }
        let wall = monotonicSeconds() - started
        let usage = ownUsage()
        let figures = Figures(requests: count, ok: ok, wall_s: rounded(wall), cpu_s: rounded(usage.cpu),
                              max_rss_mb: rounded(usage.maxRSSMB))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(figures), as: UTF8.self))
    }

    /// Sends every request and returns how many got a 200 with a message.
    static func send(url: String, images: URL, count: Int, concurrency: Int, key: String, model: String) async throws -> Int {
        let transport = HTTPTransport()
        defer { transport.shutdown() }
        let headers: HTTPHeaders = ["Content-Type": "application/json", "Authorization": "Bearer \(key)"]
        let prefix = "{\"model\":\(quoted(model)),\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\(quoted(rubric))},{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:"
        let suffix = "\"}}]}],\"temperature\":0,\"max_tokens\":512}"
        let sendOne: @Sendable (Int) async -> Bool = { index in
            guard let image = try? Data(contentsOf: images.appendingPathComponent("\(index).png")),
                  let format = ImageFormat.sniff(image)
            else { return false }
            var body = Data(prefix.utf8)
            body.append(contentsOf: format.mimeType.utf8)
            body.append(contentsOf: ";base64,".utf8)
            body.append(image.base64EncodedData())
            body.append(contentsOf: suffix.utf8)
            guard let response = try? await transport.send(.post(url, headers: headers, body: body)),
                  response.status == 200,
                  let reply = try? JSONDecoder().decode(Reply.self, from: response.body)
            else { return false }
            return !(reply.choices.first?.message.content ?? "").isEmpty
        }
        return await withTaskGroup(of: Bool.self) { group in
            var next = 1
            while next <= min(concurrency, count) {
                let index = next
                group.addTask { await sendOne(index) }
                next += 1
            }
            var ok = 0
            while let success = await group.next() {
                if success { ok += 1 }
                if next <= count {
                    let index = next
                    group.addTask { await sendOne(index) }
                    next += 1
                }
            }
            return ok
        }
    }

    struct Reply: Decodable {
        struct Choice: Decodable {
            struct Message: Decodable { var content: String? }
            var message: Message
        }
        var choices: [Choice]
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        let data = try! JSONEncoder().encode(text)
        return String(decoding: data, as: UTF8.self)
    }

    static func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}

/// Runs async work to completion from synchronous code (the main thread is not one of the
/// concurrency pool's threads, so blocking it here starves nothing).
func runBlocking<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
    let outcome = Outcome<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        let result: Result<T, any Error>
        do { result = .success(try await work()) } catch { result = .failure(error) }
        outcome.value.withLock { $0 = result }
        done.signal()
    }
    done.wait()
    return try outcome.value.withLock { $0! }.get()
}

private final class Outcome<T: Sendable>: Sendable {
    let value = Mutex<Result<T, any Error>?>(nil)
}
