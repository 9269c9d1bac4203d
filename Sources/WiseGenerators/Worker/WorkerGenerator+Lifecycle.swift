extension WorkerGenerator {
    /// How many worker processes start, and their command.
    public var startLine: String? {
        "starting \(capacity / max(1, configuration.batch)) worker(s): \(configuration.argv.joined(separator: " "))"
    }
}
