/// Why a CLIP model, its files or an image could not be used; each message names the file
/// or tensor and says what was expected.
public struct CLIPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is, so a caller can map it to an exit status.
    public enum Kind: Sendable, Equatable {
        /// A file that should be there is not.
        case missingInput
        /// A file or image is malformed, or does not fit the model.
        case badData
        /// Something valid that this implementation does not handle.
        case unsupported
        /// Reading a file failed.
        case io
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
