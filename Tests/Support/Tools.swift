import Foundation

/// The optional tools some tests need, each probed once per test process.
///
/// A test that needs one says so in a trait, so that where the tool is missing it is reported as
/// skipped with the reason, never passed by an early `return` or failed:
///
///     @Test(.enabled(if: Tools.hasOpenAIModule, Tools.Reason.openAIModule))
///
/// Python is found as the tests run it: `python3` on PATH, with the environment of the test
/// process (so `PYTHONPATH` or a PATH with another `python3` changes both probe and test).
public enum Tools {
    /// The reasons a test is skipped, one per tool, so every test names a missing tool alike.
    public enum Reason {
        public static let python3 = "needs python3 on PATH"
        public static let requestsModule = "needs python3 with the requests module (bash .ci/run installs it)"
        public static let openAIModule = "needs python3 with openai==0.28.1, the legacy API gpt_eval.py calls (bash .ci/run installs it)"
        public static let openSSL = "needs python3 and the openssl command (for the HTTPS test server)"
        public static let officialFiles = "needs the official WISE files in ../shared/wise (and WISE_TEST_SYNTHETIC unset)"
        public static let slurm = "needs root, python3 and Slurm (slurmctld, slurmd, slurm-client; bash .ci/run installs them)"
        public static let chromiumAsked = "set WISE_TEST_CHROMIUM=1 to open the HTML report in headless Chromium"
        public static let chromium = "needs Chromium (/usr/bin/chromium or /usr/bin/chromium-browser)"
        public static let container = "set WISE_TEST_CONTAINER=1 (as root, with swift on PATH and ../shared/wise) to build deploy/Containerfile with buildah and run the image (tools/container-check.sh; the first build takes many minutes, later ones reuse its layers)"
        public static let modelPython = "set WISE_TEST_MODELS=1 and WISE_TEST_PYTHON to a Python with workers/requirements-test.txt (torch, diffusers) to run tiny real pipelines"
    }

    /// `WISE_TEST_MODELS=1` and `WISE_TEST_PYTHON`, a Python that imports torch and diffusers: tiny real pipelines can run.
    public static let modelPython: String? = {
        let environment = ProcessInfo.processInfo.environment
        guard environment["WISE_TEST_MODELS"] == "1", let python = environment["WISE_TEST_PYTHON"],
              succeeds(python, ["-c", "import torch, diffusers"]) else { return nil }
        return python
    }()

    /// `WISE_TEST_CONTAINER=1` asks for the container image to be built and run, and this is root
    /// (buildah's store, debootstrap) with the official files beside the repository.
    public static let containerCheck: Bool = ProcessInfo.processInfo.environment["WISE_TEST_CONTAINER"] == "1"
        && getuid() == 0 && hasOfficialFiles

    /// `python3` on PATH runs.
    public static let hasPython3: Bool = succeeds("python3", ["-c", "pass"])

    /// `python3` imports `requests` (the official verified evaluator, `vllm_eval.py`, does).
    public static let hasRequestsModule: Bool = hasPython3 && succeeds("python3", ["-c", "import requests"])

    /// `python3` imports an `openai` with the pre-1.0 API that `WISE_legacy/gpt_eval.py` calls
    /// (`openai.ChatCompletion.create`, removed in 1.0; `.ci/run` installs 0.28.1).
    public static let hasOpenAIModule: Bool = hasPython3 && succeeds("python3", ["-c", """
        import sys, openai
        sys.exit(0 if openai.version.VERSION.startswith("0.") and hasattr(openai, "ChatCompletion") else 1)
        """])

    /// `openssl` runs, and so does python3 (the HTTPS test server needs both).
    public static let hasOpenSSL: Bool = hasPython3 && succeeds("openssl", ["version"])

    /// The official files in `../shared/wise` are there (see `TestCatalogue.officialDirectory`).
    public static let hasOfficialFiles: Bool = TestCatalogue.officialDirectory != nil

    /// Root, Debian's Slurm daemons and client, and python3 (for `Tests/slurm/run_slurm_test.sh`).
    public static let hasSlurm: Bool = getuid() == 0 && hasPython3
        && ["/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/sbatch"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }

    /// `WISE_TEST_CHROMIUM=1` asks for the checks in a real browser.
    public static var chromiumAsked: Bool { ProcessInfo.processInfo.environment["WISE_TEST_CHROMIUM"] == "1" }

    /// The Chromium executable, where one is installed.
    public static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs `executable` (found on PATH) with its output discarded; true when it exits 0.
    static func succeeds(_ executable: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return false
        }
        process.waitUntilExit()
        return process.terminationReason == .exit && process.terminationStatus == 0
    }
}
