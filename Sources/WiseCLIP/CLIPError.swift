import WiseCore

/// Why a CLIP model, its files or an image could not be used; each message names the file
/// or tensor and says what was expected.
public struct CLIPError: WiseError, Equatable {
    /// `.missingInput` (a file is not there), `.badData` (malformed, unsupported or not
    /// fitting the model) or `.io` (reading failed).
    public var kind: ErrorKind
    public var message: String

    public init(_ kind: ErrorKind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
