import Foundation

/// Shows how a long pass is going: a redrawn bar on a terminal, a plain line every few seconds elsewhere.
public final class ProgressMeter: @unchecked Sendable {
    private let lock = NSLock()
    private let output: FileHandle
    private let interactive: Bool
    private let interval: Double
    private let label: String
    private var total = 0
    private var done = 0
    private var failed = 0
    private var unscored = 0
    private var started = Date()
    private var lastDraw = Date.distantPast
    /// The `done` count of the last line drawn, so `finish` does not print the same line again.
    private var drawnDone: Int?

    /// `interactive` redraws one line in place (for a terminal); otherwise a line is printed every `interval` seconds.
    public init(label: String, output: FileHandle = .standardError, interactive: Bool? = nil, interval: Double = 5) {
        self.label = label
        self.output = output
        self.interactive = interactive ?? (isatty(output.fileDescriptor) == 1)
        self.interval = interval
    }

    public func start(total: Int) {
        lock.lock(); defer { lock.unlock() }
        self.total = total
        started = Date()
        lastDraw = interactive ? .distantPast : Date()
    }

    public func update(done: Int, failed: Int, unscored: Int) {
        lock.lock(); defer { lock.unlock() }
        self.done = done; self.failed = failed; self.unscored = unscored
        let now = Date()
        let wait = interactive ? 0.1 : interval
        if now.timeIntervalSince(lastDraw) >= wait || done == total {
            lastDraw = now
            draw(now)
        }
    }

    public func finish() {
        lock.lock(); defer { lock.unlock() }
        if interactive { write("\n") } else if done > 0 && drawnDone != done { draw(Date()) }
    }

    /// The status line, e.g. `judging  512/1000  51%  38.2/s  ETA 13s  failed 3  unscored 1`.
    public func line(now: Date = Date()) -> String {
        let elapsed = max(now.timeIntervalSince(started), 0.001)
        let rate = Double(done) / elapsed
        let percent = total == 0 ? 100 : done * 100 / total
        let eta = rate > 0 && done < total ? "ETA \(Self.duration(Double(total - done) / rate))" : "ETA —"
        return "\(label)  \(done)/\(total)  \(percent)%  \(String(format: "%.1f", rate))/s  \(eta)  failed \(failed)  unscored \(unscored)"
    }

    private func draw(_ now: Date) {
        drawnDone = done
        if interactive {
            let width = 24
            let filled = total == 0 ? width : done * width / max(total, 1)
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            write("\r\u{1B}[2K[\(bar)] " + line(now: now))
        } else {
            write(line(now: now) + "\n")
        }
    }

    private func write(_ text: String) { output.write(Data(text.utf8)) }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}
