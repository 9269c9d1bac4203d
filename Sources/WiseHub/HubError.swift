import WiseCore

/// Why fetching model files from a hub failed; says which file, from where, and what to do.
public struct HubError: WiseError, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The repository, revision or file does not exist (HTTP 404).
        case notFound
        /// The hub refused access (401/403): a gated or private repository.
        case unauthorized
        /// The bytes downloaded do not have the SHA-256 the hub or the manifest states.
        case checksumMismatch
        /// The hub answered with another error status, or could not be reached.
        case unavailable
        /// The cache folder could not be written.
        case cannotWrite
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    public var exitCode: Int32 {
        switch kind {
        case .notFound: return ExitStatus.noInput
        case .unauthorized, .unavailable: return ExitStatus.unavailable
        case .checksumMismatch: return ExitStatus.dataError
        case .cannotWrite: return ExitStatus.cannotCreate
        }
    }
}
