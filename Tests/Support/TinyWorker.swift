import Foundation

/// The tiny test worker (`Tests/Support/workers/tiny_worker.py`): deterministic PNGs, faults on demand.
public enum TinyWorker {
    /// The script's path in this checkout.
    public static var script: String {
        TestCatalogue.repositoryRoot.appendingPathComponent("Tests/Support/workers/tiny_worker.py").path
    }

    /// The worker command line with switches such as `--crash-on 3`, as `--worker-cmd` takes it.
    public static func command(_ switches: String = "") -> String {
        "\(TestPython.executable) \(script)" + (switches.isEmpty ? "" : " " + switches)
    }

    /// A model registry file naming the tiny worker as model `tiny` (family `test`), for WISE_MODELS.
    public static func writeRegistry(to url: URL, switches: [String] = []) throws {
        let argv = ([TestPython.executable, script] + switches).map { "\"\($0)\"" }.joined(separator: ", ")
        let text = """
            {"default": "tiny", "workers": {"tiny": [\(argv)]},
             "models": [{"name": "tiny", "family": "test", "adapter": "worker", "worker": "tiny", "model_id": "tiny-png",
                         "width": 24, "height": 16, "steps": 2, "guidance": 1.5}]}
            """
        try Data(text.utf8).write(to: url)
    }
}
