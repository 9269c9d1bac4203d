import Foundation

/// The Python the tests run: `WISE_PYTHON` (the virtual environment `.ci/run` creates, with
/// `requests` and `openai==0.28.1` for the official evaluators), else `python3` on PATH.
public enum TestPython {
    public static var executable: String {
        if let path = ProcessInfo.processInfo.environment["WISE_PYTHON"], !path.isEmpty { return path }
        return "python3"
    }

    /// `executable` in place of a plain `python3`; any other program name unchanged.
    public static func resolve(_ program: String) -> String {
        program == "python3" ? executable : program
    }
}
