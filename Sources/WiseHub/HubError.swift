import WiseCore

/// Why fetching model files from a hub failed; says which file, from where, and what to do.
public struct HubError: WiseError, Equatable {
    /// What went wrong, finer than `kind`.
    public enum Reason: Sendable, Equatable {
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

    public var reason: Reason
    public var message: String

    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { message }

    public var kind: ErrorKind {
        switch reason {
        case .notFound: return .missingInput
        case .unauthorized, .unavailable: return .unavailable
        case .checksumMismatch: return .badData
        case .cannotWrite: return .cannotCreate
        }
    }
}
