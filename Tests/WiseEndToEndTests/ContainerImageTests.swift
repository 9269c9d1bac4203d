import Foundation
import Testing
import TestSupport

/// The image of `deploy/Containerfile`, built with `buildah bud --isolation chroot` from bases made
/// on this machine and run with `buildah run --isolation chroot`: `wise --version`, the catalogue,
/// the registry, the non-root user, the workers' Python environment and a 2-image command-adapter
/// generation inside it.
///
/// The work is done by `tools/container-check.sh` (it makes the bases, builds, runs each check and
/// prints the build time and image size); this test runs it and reads its verdicts. It builds wise
/// in the image from the repository's sources, not this build's binary. Behind
/// `WISE_TEST_CONTAINER=1`: it needs root and takes minutes (many the first time); skipped otherwise,
/// and says so.
@Suite struct ContainerImageTests {
    @Test(.enabled(if: Tools.containerCheck, Comment(rawValue: Tools.Reason.container)))
    func theImageBuildsAndRunsATinyGeneration() async throws {
        // Given the repository's Containerfile and the official files beside it
        let script = TestCatalogue.repositoryRoot.appendingPathComponent("tools/container-check.sh")

        // When the image is built and checked
        let (status, data) = try await ExternalProcess.run("bash", [script.path], mergeStderr: true)
        let output = String(decoding: data, as: UTF8.self)

        // Then every check passed, the generation among them, as the non-root user
        #expect(status == 0, "\(output)")
        for check in ["wise --version", "runs as the non-root user wise (uid 10001)",
                      "a tiny command-adapter generation (2 images) into a store"] {
            #expect(output.contains("ok    \(check)"), "\(check): \(output)")
        }
        #expect(output.contains("container-check: all checks passed") && !output.contains("FAIL"), "\(output)")
    }
}
