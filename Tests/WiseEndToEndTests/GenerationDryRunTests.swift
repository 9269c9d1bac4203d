import Foundation
import Testing
import WiseCore
import TestSupport

/// `--dry-run` with a generator: what would be made and how long it would take, with nothing started, written or keyed.
@Suite struct GenerationDryRunTests {
    @Test func aDryRunStartsNothingWritesNothingAndNeedsNoKeyThenEstimatesFromWhatWasMade() async throws {
        // Given a command generator that copies a PNG, and keys that are not set
        let ws = try Workspace()
        let png = ws.path("a.png")
        try ImageFixtures.png(seed: 3).write(to: png)
        let generator = ["--generator", "command", "--argv", "cp \(png.path) {out}", "--out", ws.path("img").path]
        // When `wise run` with a generator and an API judge is dry-run
        let dry = try await ws.run(["run", "g", "--set", "verified"] + generator
            + ["--judge", "openai", "--base-url", "http://127.0.0.1:9/v1", "--judge-model", "m", "--api-key-env", "UNSET_JUDGE_KEY_FOR_TEST",
               "--price-in", "5", "--price-out", "15", "--dry-run", "--store", ws.storePath])
        // Then it prints the images, an unknown time and the judge's cost, and nothing was made or stored
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("dry run: 1000 of 1000 images would be made for run g"))
        #expect(dry.stdout.contains("time: unknown") && dry.stdout.contains("judging: 1000 requests") && dry.stdout.contains("at the given prices"))
        #expect(!FileManager.default.fileExists(atPath: ws.storePath) && !FileManager.default.fileExists(atPath: ws.path("img").path))
        // When three images are made, then `wise generate --dry-run` asks again
        let made = try await ws.run(["generate", "g", "--set", "verified", "--limit", "3", "--store", ws.storePath] + generator)
        #expect(made.status == 0, "\(made.stderr)")
        let digest = try ws.storeDigest()
        let again = try await ws.run(["generate", "g", "--set", "verified", "--dry-run", "--store", ws.storePath] + generator)
        // Then the estimate counts what is there and uses the seconds measured, and the store is unchanged
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("dry run: 997 of 1000 images would be made for run g (3 already there)"), "\(again.stdout)")
        #expect(again.stdout.contains("s per image over 3 images this generator made before"))
        #expect(try ws.storeDigest() == digest)
    }

    @Test func anImagesAPIDryRunNeedsNoKeyButARealRunDoes() async throws {
        // Given the images API generator with a key variable that is not set
        let ws = try Workspace()
        let arguments = ["generate", "i", "--set", "verified", "--generator", "gemini-images", "--gemini-api-key-env", "UNSET_GEMINI_KEY_FOR_TEST",
                         "--gemini-base-url", "http://127.0.0.1:9/v1beta", "--store", ws.storePath]
        // When dry-run / Then it plans; when run for real / Then the missing key is refused in one line, naming the variable
        let dry = try await ws.run(arguments + ["--dry-run"])
        #expect(dry.status == 0 && dry.stdout.contains("dry run: 1000 of 1000"), "\(dry.stderr)")
        let real = try await ws.run(arguments)
        #expect(real.status == 64 && real.stderr.contains("UNSET_GEMINI_KEY_FOR_TEST"))
        #expect(!FileManager.default.fileExists(atPath: ws.storePath))
    }
}
