/// The one hasher (libcrypto's SHA-256) is part of the core's vocabulary: every target that
/// imports WiseCore hashes with it.
@_exported import WiseCrypto
