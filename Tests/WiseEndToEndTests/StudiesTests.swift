import Foundation
import Testing
import WiseCore
import WiseStats
import WiseStore
import TestSupport

/// The studies (`wise report` with intervals, `compare`, `variance`, `agreement`, the HTML report)
/// on real stores made by the `wise` binary; every number is checked against WiseStats called
/// directly on scores read from the score files or the store's judgment rows.
@Suite(.serialized) struct StudiesTests {
    typealias Item = (value: Double, integer: Int)

    /// Item scores read straight from official-format score files: WiScore and 7c + 2r + a (or the 0/1 score).
    func fileScores(_ files: [URL], _ p: ScoringProtocol) throws -> [Int: Item] {
        var out: [Int: Item] = [:]
        for url in files {
            for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
                let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                let id = (o["prompt_id"] as! NSNumber).intValue
                if p == .legacy {
                    let c = num(o["consistency"]), r = num(o["realism"]), a = num(o["aesthetic_quality"])
                    out[id] = ((0.7 * c + 0.2 * r + 0.1 * a) / 2, Int(7 * c + 2 * r + a))
                } else {
                    out[id] = (num(o["score"]), Int(num(o["score"])))
                }
            }
        }
        return out
    }

    func num(_ any: Any?) -> Double { (any as! NSNumber).doubleValue }
    /// Within 1e-12, relatively for large values: Foundation's JSON parser on Linux may miss the last bit.
    func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 * max(1, abs(b)) }
    func object(_ text: String) throws -> [String: Any] { try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any] }

    /// Prompt ids per category, ascending (the order wise lays items out in).
    func idsByCategory(_ ws: Workspace, _ set: PromptSet) throws -> [Category: [Int]] {
        Dictionary(grouping: try ws.catalogue.load(set).prompts, by: \.category).mapValues { $0.map(\.id).sorted() }
    }

    func board(_ runs: [[Int: Double]], _ ids: [Category: [Int]], _ p: ScoringProtocol) throws -> BootstrapBoard {
        try BootstrapBoard(strata: Category.allCases.map { c in
            BootstrapBoard.Stratum(name: c.rawValue, weight: p.weights[c]!, scores: runs.map { run in ids[c]!.map { run[$0]! } })
        })
    }

    func expectInterval(_ json: Any?, _ ci: ConfidenceInterval, _ label: String) {
        let o = json as! [String: Any]
        #expect(abs(num(o["estimate"]) - ci.estimate) < 1e-12, "\(label) estimate")
        #expect(abs(num(o["lower"]) - ci.lower) < 1e-12, "\(label) lower")
        #expect(abs(num(o["upper"]) - ci.upper) < 1e-12, "\(label) upper")
    }

    func importRun(_ ws: Workspace, _ name: String, _ set: PromptSet, _ files: [URL]) async throws {
        let p = set.defaultProtocol
        let result = try await ws.run(["import", name, "--set", set.rawValue, "--protocol", p.rawValue, "--store", ws.storePath] + files.map(\.path))
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func reportGivesIntervalsRanksAndCoverage() async throws {
        // Given two imported legacy runs, one complete and one with 37 ids missing
        let ws = try Workspace(label: "board")
        var rng = SplitMix(seed: 5)
        var leave = Set<Int>()
        while leave.count < 37 { leave.insert(Int(rng.next() % 1000) + 1) }
        let filesA = try ws.writeScoreFiles(set: .legacy, scoringProtocol: .legacy, leaveOut: [], seed: 1, into: "a")
        let filesB = try ws.writeScoreFiles(set: .legacy, scoringProtocol: .legacy, leaveOut: leave, seed: 2, into: "b")
        try await importRun(ws, "a", .legacy, filesA)
        try await importRun(ws, "b", .legacy, filesB)

        // When reported as JSON with 2000 resamples and seed 11, twice
        let args = ["report", "a", "b", "--format", "json", "--resamples", "2000", "--seed", "11", "--store", ws.storePath]
        let first = try await ws.run(args)
        let second = try await ws.run(args)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == second.stdout, "the same seed gives the same report")

        // Then each run's intervals are WiseStats' bootstrap over its own scored items
        let ids = try idsByCategory(ws, .legacy)
        let a = try fileScores(filesA, .legacy).mapValues(\.value), b = try fileScores(filesB, .legacy).mapValues(\.value)
        let bootstrap = StratifiedBootstrap(resamples: 2000, seed: 11)
        let report = try object(first.stdout)
        let rows = report["uncertainty"] as! [[String: Any]]
        for (name, values) in [("a", a), ("b", b)] {
            let own = try bootstrap.leaderboard(board([values], ids.mapValues { $0.filter { values[$0] != nil } }, .legacy))
            let row = rows.first { $0["name"] as? String == name }!
            expectInterval(row["overall"], own.runs[0].overall, "\(name) overall")
            for (s, c) in Category.allCases.enumerated() {
                expectInterval((row["categories"] as! [String: Any])[c.rawValue], own.runs[0].strata[s], "\(name) \(c.rawValue)")
            }
        }
        // And ranks and the order probability come from one paired bootstrap over the items both scored
        let joint = try bootstrap.leaderboard(board([a, b], ids.mapValues { $0.filter { a[$0] != nil && b[$0] != nil } }, .legacy))
        for (i, name) in ["a", "b"].enumerated() {
            let row = rows.first { $0["name"] as? String == name }!
            #expect((row["rank"] as! NSNumber).intValue == joint.runs[i].rank)
            #expect((row["rank_interval"] as! [NSNumber]).map(\.intValue) == [joint.runs[i].rankInterval.lowerBound, joint.runs[i].rankInterval.upperBound])
        }
        let order = (report["order"] as! [[String: Any]])[0]
        let upper = order["upper"] as! String == "a" ? 0 : 1
        #expect(abs(num(order["probability"]) - joint.orderProbability[upper][1 - upper]) < 1e-12)

        // And b's coverage puts its 37 missing items at 0 and at 1, and the official script would abort on it
        var worst = 0.0, best = 0.0
        for c in Category.allCases {
            let sum = ids[c]!.compactMap { b[$0] }.reduce(0, +), n = Double(ids[c]!.count), missing = Double(ids[c]!.filter { b[$0] == nil }.count)
            worst += ScoringProtocol.legacy.weights[c]! * sum / n
            best += ScoringProtocol.legacy.weights[c]! * (sum + missing) / n
        }
        let coverageB = rows.first { $0["name"] as? String == "b" }!["coverage"] as! [String: Any]
        let overallB = coverageB["overall"] as! [String: Any]
        #expect(abs(num(overallB["worst"]) - worst) < 1e-12 && abs(num(overallB["best"]) - best) < 1e-12)
        #expect((coverageB["official"] as! [String: Any])["outcome"] as? String == "aborts")
        #expect(((coverageB["official"] as! [String: Any])["ids_without_line"] as! NSNumber).intValue == 37)
        let coverageA = rows.first { $0["name"] as? String == "a" }!["coverage"] as! [String: Any]
        #expect((coverageA["official"] as! [String: Any])["outcome"] as? String == "overall")

        // And the terminal board shows the intervals and the coverage line
        let text = try await ws.run(["report", "a", "b", "--resamples", "200", "--store", ws.storePath])
        #expect(text.status == 0 && text.stdout.contains("95% intervals") && text.stdout.contains("P(") && text.stdout.contains("aborts"))
    }

    @Test func compareMatchesWiseStats() async throws {
        // Given an original legacy run and a rewrite run with 20 ids missing, on the same ids
        let ws = try Workspace(label: "compare")
        let original = try ws.writeScoreFiles(set: .legacy, scoringProtocol: .legacy, leaveOut: [], seed: 3, into: "o")
        let rewrite = try ws.writeScoreFiles(set: .legacyRewrite, scoringProtocol: .legacy, leaveOut: Set(stride(from: 7, through: 1000, by: 50)), seed: 4, into: "r")
        try await importRun(ws, "o", .legacy, original)
        try await importRun(ws, "r", .legacyRewrite, rewrite)

        // When compared as JSON
        let result = try await ws.run(["compare", "o", "r", "--format", "json", "--resamples", "1000", "--seed", "3", "--store", ws.storePath])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try object(result.stdout)["rows"] as! [[String: Any]]

        // Then the differences are WiseStats' paired bootstrap over the paired items
        let o = try fileScores(original, .legacy), r = try fileScores(rewrite, .legacy)
        let paired = try idsByCategory(ws, .legacy).mapValues { $0.filter { o[$0] != nil && r[$0] != nil } }
        let diff = try StratifiedBootstrap(resamples: 1000, seed: 3)
            .pairedDifference(board([o.mapValues(\.value), r.mapValues(\.value)], paired, .legacy), baseline: 0, candidate: 1)
        let overall = rows.last!
        #expect(overall["category"] as? String == "OVERALL")
        expectInterval(overall["difference"], diff.overall.difference, "overall Δ")
        #expect(close(num(overall["bootstrap_p"]), diff.overall.pValue))
        for (s, c) in Category.allCases.enumerated() {
            expectInterval(rows[s]["difference"], diff.perStratum[s].difference, "\(c.rawValue) Δ")
        }
        // And Wilcoxon ranks the exact integer differences 7c + 2r + a
        let all = Category.allCases.flatMap { paired[$0]! }
        let wilcoxon = WilcoxonSignedRank.test(all.map { r[$0]!.integer - o[$0]!.integer })
        let w = overall["wilcoxon"] as! [String: Any]
        #expect(close(num(w["p"]), wilcoxon.pValue) && close(num(w["statistic"]), wilcoxon.statistic))
        let culture = paired[.culture]!
        #expect(close(num((rows[0]["wilcoxon"] as! [String: Any])["p"]), WilcoxonSignedRank.test(culture.map { r[$0]!.integer - o[$0]!.integer }).pValue))

        // Given two verified runs, when compared, then McNemar counts the discordant items and the note says rewrites are legacy-only
        let v1 = try ws.writeScoreFiles(set: .verified, scoringProtocol: .verified, leaveOut: [], seed: 5, into: "v1")
        let v2 = try ws.writeScoreFiles(set: .verified, scoringProtocol: .verified, leaveOut: [], seed: 6, into: "v2")
        try await importRun(ws, "v1", .verified, v1)
        try await importRun(ws, "v2", .verified, v2)
        let verified = try await ws.run(["compare", "v1", "v2", "--format", "json", "--resamples", "200", "--store", ws.storePath])
        #expect(verified.status == 0, "\(verified.stderr)")
        let vjson = try object(verified.stdout)
        let s1 = try fileScores(v1, .verified), s2 = try fileScores(v2, .verified)
        let ids = s1.keys.sorted()
        let mcnemar = try McNemar.test(ids.map { s1[$0]!.integer == 1 }, ids.map { s2[$0]!.integer == 1 })
        let m = (vjson["rows"] as! [[String: Any]]).last!["mcnemar"] as! [String: Any]
        #expect((m["b"] as! NSNumber).intValue == mcnemar.b && (m["c"] as! NSNumber).intValue == mcnemar.c && close(num(m["p"]), mcnemar.pValue))
        #expect((vjson["notes"] as! [String]).contains { $0.contains("legacy set only") })
        // And a verified run against a legacy-rewrite run is refused, saying rewrites exist for legacy only
        let refused = try await ws.run(["compare", "v1", "r", "--store", ws.storePath])
        #expect(refused.status == 64 && refused.stderr.contains("legacy set only"), "\(refused.stderr)")
        // And the terminal table is laid out per category
        let table = try await ws.run(["compare", "o", "r", "--resamples", "200", "--store", ws.storePath])
        #expect(table.status == 0 && table.stdout.contains("Culture") && table.stdout.contains("Overall") && table.stdout.contains("p (Wilcoxon)"))
    }

    @Test func judgedRunVarianceAgreementFingerprintsAndHTML() async throws {
        // Given a legacy run of 200 images, judged 3 times by judge A and once by judge B, both sampling at temperature 0.7
        let catalogue = try TestCatalogue.synthetic(texts: [5: "<script>alert(1)</script> & \"quotes\""])
        let ws = try Workspace(label: "judged", extraEnvironment: ["WISE_TEST_KEY": JudgeTests.key], catalogue: catalogue)
        let ids = Array(stride(from: 5, through: 1000, by: 5))
        try ImageFixtures.writeFolder(ws.path("img"), ids: ids)
        var configA = FakeJudgeServer.Configuration(scoringProtocol: .legacy)
        configA.model = "judge-a"; configA.expectedTemperature = 0.7; configA.jitter = 0.3
        var configB = configA
        configB.model = "judge-b"; configB.jitter = 0.5; configB.seed = 9
        let serverA = try FakeJudgeServer(configA), serverB = try FakeJudgeServer(configB)
        defer { serverA.stop(); serverB.stop() }
        let registered = try await ws.run(["run", "m", "--set", "legacy", "--images", ws.path("img").path, "--store", ws.storePath])
        #expect(registered.status == 0, "\(registered.stderr)")
        for (server, repeats) in [(serverA, 3), (serverB, 1)] {
            let judged = try await ws.run(["judge", "m", "--store", ws.storePath, "--base-url", server.baseURL, "--model", server.configuration.model,
                                           "--api-key-env", "WISE_TEST_KEY", "--temperature", "0.7", "--repeats", "\(repeats)", "--concurrency", "16"])
            #expect(judged.status == 0, "\(judged.stderr)")
        }
        let store = try ResultsStore(path: ws.storePath, create: false)
        let run = try store.requireRun("m")
        let specs = try store.judges(of: run).map(\.spec)
        let keyA = String(specs.first { $0.parameters["model"] == "judge-a" }!.key.prefix(8))
        let keyB = String(specs.first { $0.parameters["model"] == "judge-b" }!.key.prefix(8))
        let rows = try store.judgmentRows(run: run).filter { $0.status == .ok }
        let rowsA = rows.filter { $0.servedModel == "judge-a" }, rowsB = rows.filter { $0.servedModel == "judge-b" }
        func wiscore(_ s: AspectScores) -> Double { (0.7 * s["consistency"]! + 0.2 * s["realism"]! + 0.1 * s["aesthetic_quality"]!) / 2 }
        func score(_ rows: [JudgmentRow], _ id: Int, _ r: Int) -> AspectScores? { rows.first { $0.promptID == id && $0.repeatIndex == r }?.scores }

        // When the variance over A's repeats is asked for
        let variance = try await ws.run(["variance", "m", "--judge", keyA, "--format", "json", "--store", ws.storePath])
        #expect(variance.status == 0, "\(variance.stderr)")
        let v = try object(variance.stdout)
        // Then α per aspect (ordinal, repeats as raters) and ICC(2,1) on WiScore are WiseStats' on the stored scores
        #expect((v["repeats"] as! NSNumber).intValue == 3)
        for entry in v["alpha"] as! [[String: Any]] where entry["measure"] as? String != "wiscore" {
            let aspect = entry["measure"] as! String
            let grid = (0..<3).map { r in ids.map { score(rowsA, $0, r)?[aspect] } }
            let expected = try KrippendorffAlpha.alpha(grid, level: .ordinal)!
            #expect(abs(num(entry["alpha"]) - expected) < 1e-12, "α \(aspect)")
        }
        let icc = try IntraclassCorrelation.icc2(ids.map { id in (0..<3).map { r in score(rowsA, id, r).map(wiscore) } })
        let viccJSON = v["icc"] as! [String: Any]
        #expect(abs(num(viccJSON["icc"]) - icc.icc!) < 1e-12 && abs(num(viccJSON["lower"]) - icc.lower!) < 1e-12)
        // And the overall of each repeat is the official formula over that repeat's scored items
        let byCategory = Dictionary(grouping: try ws.catalogue.load(.legacy).prompts, by: \.category).mapValues { $0.map(\.id).sorted() }
        for (r, value) in (v["overall_per_repeat"] as! [Any]).enumerated() {
            var overall = 0.0
            for c in Category.allCases {
                let scores = byCategory[c]!.compactMap { score(rowsA, $0, r).map(wiscore) }
                overall += ScoringProtocol.legacy.weights[c]! * scores.reduce(0, +) / Double(scores.count)
            }
            #expect(abs(num(value) - overall) < 1e-12, "repeat \(r)")
        }
        // And the flip rate is the share of disagreeing repeat pairs, averaged over items
        let flips = ids.map { id -> Double in
            let values = (0..<3).compactMap { score(rowsA, id, $0).map(wiscore) }
            var pairs = 0.0, differ = 0.0
            for i in values.indices { for j in values.indices where j > i { pairs += 1; if values[i] != values[j] { differ += 1 } } }
            return differ / pairs
        }
        let repeatFlips = v["mean_repeat_flip_rate"] as! [String: Any]
        #expect(abs(num(repeatFlips["estimate"]) - flips.reduce(0, +) / Double(flips.count)) < 1e-12)
        #expect(num(repeatFlips["estimate"]) > 0, "repeats at temperature 0.7 should differ somewhere")
        #expect(num(repeatFlips["lower"]) <= num(repeatFlips["estimate"]) && num(repeatFlips["estimate"]) <= num(repeatFlips["upper"]))

        // When the two judges are compared
        let agreement = try await ws.run(["agreement", "m", "--judges", "\(keyA),\(keyB)", "--format", "json", "--store", ws.storePath])
        #expect(agreement.status == 0, "\(agreement.stderr)")
        let g = try object(agreement.stdout)
        // Then κ (plain and quadratic), α and the confusion matrix per aspect are WiseStats' on A's first and B's only repeat
        for measure in g["measures"] as! [[String: Any]] where measure["measure"] as? String != "wiscore" {
            let aspect = measure["measure"] as! String
            let entry = (measure["pairs"] as! [[String: Any]])[0]
            let a = ids.map { Int(score(rowsA, $0, 0)![aspect]!) }, b = ids.map { Int(score(rowsB, $0, 0)![aspect]!) }
            let kappa = try CohenKappa.kappa(a, b, labels: [0, 1, 2])
            #expect(abs(num(entry["kappa"]) - kappa.kappa!) < 1e-12, "κ \(aspect)")
            #expect(abs(num(entry["kappa_quadratic"]) - (try CohenKappa.kappa(a, b, weighting: .quadratic, labels: [0, 1, 2])).kappa!) < 1e-12)
            #expect(abs(num(measure["alpha"]) - (try KrippendorffAlpha.alpha([a.map { Optional($0) }, b.map { Optional($0) }], level: .ordinal))!) < 1e-12)
            #expect((entry["confusion"] as! [[NSNumber]]).map { $0.map(\.intValue) } == kappa.confusion)
        }
        // And with one run there is no τ, and the self-preference check says what it needs
        #expect((g["kendall_tau_b"] as! [[String: Any]])[0]["problem"] as? String != nil)
        #expect((g["notes"] as! [String]).contains { $0.contains("generator family") })

        // And the tables for people name what they show
        let varianceText = try await ws.run(["variance", "m", "--judge", keyA, "--store", ws.storePath])
        #expect(varianceText.status == 0 && varianceText.stdout.contains("Krippendorff α · consistency") && varianceText.stdout.contains("least stable"))
        let agreementText = try await ws.run(["agreement", "m", "--judges", "\(keyA),\(keyB)", "--store", ws.storePath])
        #expect(agreementText.status == 0 && agreementText.stdout.contains("confusion · consistency") && agreementText.stdout.contains("κ quadratic"))

        // Given two more runs judged by both judges, when the judges are compared over the three runs
        for (n, name) in ["m2", "m3"].enumerated() {
            try ImageFixtures.writeFolder(ws.path(name), ids: ids, seedOffset: 5000 * (n + 1))
            let made = try await ws.run(["run", name, "--set", "legacy", "--images", ws.path(name).path, "--store", ws.storePath])
            #expect(made.status == 0, "\(made.stderr)")
            for server in [serverA, serverB] {
                let judged = try await ws.run(["judge", name, "--store", ws.storePath, "--base-url", server.baseURL, "--model", server.configuration.model,
                                               "--api-key-env", "WISE_TEST_KEY", "--temperature", "0.7", "--concurrency", "16"])
                #expect(judged.status == 0, "\(judged.stderr)")
            }
        }
        let overRuns = try await ws.run(["agreement", "m", "m2", "m3", "--judges", "\(keyA),\(keyB)", "--format", "json", "--store", ws.storePath])
        #expect(overRuns.status == 0, "\(overRuns.stderr)")
        // Then Kendall's τ-b compares each judge's overalls (items averaged over repeats, as the report scores them)
        func overall(_ name: String, _ model: String) throws -> Double {
            let judged = try store.judgmentRows(run: try store.requireRun(name)).filter { $0.status == .ok && $0.servedModel == model }
            var total = 0.0
            for c in Category.allCases {
                let means = byCategory[c]!.compactMap { id -> Double? in
                    let values = judged.filter { $0.promptID == id }.map { wiscore($0.scores!) }
                    return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
                }
                total += ScoringProtocol.legacy.weights[c]! * means.reduce(0, +) / Double(means.count)
            }
            return total
        }
        let names = ["m", "m2", "m3"]
        let tau = try KendallTau.tauB(try names.map { try overall($0, "judge-a") }, try names.map { try overall($0, "judge-b") })
        let tauJSON = (try object(overRuns.stdout)["kendall_tau_b"] as! [[String: Any]])[0]
        #expect((tauJSON["caveat"] as? String)?.contains("p-value means little") == true, "three runs are too few for τ's p-value")
        #expect(abs(num(tauJSON["tau"]) - tau.tau!) < 1e-12 && abs(num(tauJSON["p"]) - tau.pValue!) < 1e-12)

        // Given an imported run of the same set, when both are put on one board
        let imported = try ws.writeScoreFiles(set: .legacy, scoringProtocol: .legacy, leaveOut: [], seed: 8, into: "imp")
        try await importRun(ws, "imp", .legacy, imported)
        let refused = try await ws.run(["report", "m", "imp", "--resamples", "100", "--store", ws.storePath])
        // Then the board is refused, as they share no judge, and --allow-mixed marks one
        #expect(refused.status == 64 && refused.stderr.contains("share no judge") && refused.stderr.contains("--allow-mixed"), "\(refused.stderr)")
        let mixed = try await ws.run(["report", "m", "imp", "--allow-mixed", "--resamples", "100", "--format", "json", "--store", ws.storePath])
        #expect(mixed.status == 0, "\(mixed.stderr)")
        #expect((try object(mixed.stdout)["uncertainty"] as! [[String: Any]]).filter { $0["fingerprint_mixed"] as? Bool == true }.count == 1)

        // When the HTML report is written
        let out = ws.path("report")
        let html = try await ws.run(["report", "m", "--judge", keyA, "--format", "html", "--out", out.path, "--resamples", "200", "--store", ws.storePath])
        #expect(html.status == 0, "\(html.stderr)")
        let page = try String(contentsOf: out.appendingPathComponent("run-1.html"), encoding: .utf8)
        let index = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
        // Then the odd prompt is escaped text, every image has a thumbnail next to it, and nothing points off the machine
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"))
        #expect(!page.contains("<script>alert"))
        #expect(page.components(separatedBy: "<script>").count == 2, "one script element: the report's own")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("thumbs").path).count == ids.count)
        for html in [index, page] { #expect(!html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("<link")) }
        // And the index holds the board and the charts, the run's page a card per image, judged by the judge chosen
        #expect(index.contains("id=\"leaderboard\"") && !index.contains("<article") && index.contains("<a href=\"run-1.html\">m</a>"))
        #expect(index.components(separatedBy: "<svg").count == 8, "one chart for the overall and one per category")
        #expect(page.components(separatedBy: "<article class=\"card\"").count == ids.count + 1)
        #expect(page.contains("judge-a") && !page.contains("judge-b"), "the gallery follows --judge")
        #expect(page.contains("<footer>wise ") && page.contains("catalogue "))
        // When it is written again, no thumbnail is made twice
        let again = try await ws.run(["report", "m", "--judge", keyA, "--format", "html", "--out", out.path, "--resamples", "200", "--store", ws.storePath])
        #expect(again.status == 0 && again.stderr.contains("0 made, \(ids.count) reused"), "\(again.stderr)")
    }

    /// The HTML report of a judged run, opened in headless Chromium: the DOM after scripts ran must
    /// hold the leaderboard, the gallery and the escaped prompt, with no console errors. The
    /// screenshot goes to WISE_TEST_SCREENSHOT when that is set.
    @Test(.enabled(if: Tools.chromiumAsked, Comment(rawValue: Tools.Reason.chromiumAsked)), .enabled(if: Tools.chromium != nil, Comment(rawValue: Tools.Reason.chromium)))
    func htmlReportRendersInHeadlessChromium() async throws {
        // Given a legacy run of 200 images with an odd prompt text, judged once
        let catalogue = try TestCatalogue.synthetic(texts: [5: "<script>alert(1)</script> & \"quotes\""])
        let ws = try Workspace(label: "chromium", extraEnvironment: ["WISE_TEST_KEY": JudgeTests.key], catalogue: catalogue)
        try ImageFixtures.writeFolder(ws.path("img"), ids: Array(stride(from: 5, through: 1000, by: 5)))
        let server = try FakeJudgeServer(FakeJudgeServer.Configuration(scoringProtocol: .legacy))
        defer { server.stop() }
        #expect(try await ws.run(["run", "m", "--set", "legacy", "--images", ws.path("img").path, "--store", ws.storePath]).status == 0)
        let judged = try await ws.run(["judge", "m", "--store", ws.storePath, "--base-url", server.baseURL, "--model", server.configuration.model,
                                       "--api-key-env", "WISE_TEST_KEY", "--concurrency", "16"])
        #expect(judged.status == 0, "\(judged.stderr)")
        // When the HTML report is written
        let out = ws.path("report")
        let html = try await ws.run(["report", "m", "--format", "html", "--out", out.path, "--resamples", "200", "--store", ws.storePath])
        try #require(html.status == 0, "\(html.stderr)")
        // Then Chromium renders it without console errors
        try checkInChromium(out.appendingPathComponent("index.html"), chromium: try #require(Tools.chromium))
    }

    func checkInChromium(_ index: URL, chromium: String) throws {
        let env = ProcessInfo.processInfo.environment
        func browse(_ page: URL, _ arguments: [String]) throws -> (stdout: String, stderr: String) {
            let dir = index.deletingLastPathComponent()
            let outURL = dir.appendingPathComponent("chromium.out"), errURL = dir.appendingPathComponent("chromium.err")
            FileManager.default.createFile(atPath: outURL.path, contents: nil)
            FileManager.default.createFile(atPath: errURL.path, contents: nil)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: chromium)
            process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                                 "--user-data-dir=\(dir.appendingPathComponent("profile").path)"] + arguments + [page.absoluteString]
            process.standardOutput = try FileHandle(forWritingTo: outURL)
            process.standardError = try FileHandle(forWritingTo: errURL)
            try process.run()
            process.waitUntilExit()
            return (try String(contentsOf: outURL, encoding: .utf8), try String(contentsOf: errURL, encoding: .utf8))
        }
        let board = try browse(index, ["--dump-dom"])
        #expect(board.stdout.contains("id=\"leaderboard\"") && board.stdout.contains("run-1.html"))
        let dom = try browse(index.deletingLastPathComponent().appendingPathComponent("run-1.html"), ["--dump-dom"])
        #expect(dom.stdout.contains("class=\"card\""))
        #expect(dom.stdout.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(dom.stdout.contains("of 200 prompts"), "the filter script ran and counted the cards")
        let consoleErrors = (board.stderr + dom.stderr).split(separator: "\n").filter { $0.contains("CONSOLE") || $0.contains("Uncaught") || $0.contains("Content Security Policy") }
        #expect(consoleErrors.isEmpty, "\(consoleErrors)")
        if let shot = env["WISE_TEST_SCREENSHOT"] {
            // 800 px wide: the width the pages are laid out for at the least
            _ = try browse(index.deletingLastPathComponent().appendingPathComponent("run-1.html"), ["--screenshot=\(shot)", "--window-size=800,1800", "--hide-scrollbars"])
            #expect(FileManager.default.fileExists(atPath: shot))
            let boardShot = (shot as NSString).deletingPathExtension + "-index.png"
            _ = try browse(index, ["--screenshot=\(boardShot)", "--window-size=800,1800", "--hide-scrollbars"])
            #expect(FileManager.default.fileExists(atPath: boardShot))
        }
    }
}
