import Testing
@testable import WiseStats

@Suite struct PairedTestTests {
    let reference = Reference.shared

    @Test func wilcoxonMatchesScipy() throws {
        // Given scipy's wilcoxon on ties, zeros, small and large n, each zero method and correction:
        // normal = method="asymptotic"; exact = method="exact" without ties or zeros, else the
        // exhaustive permutation test (what method="auto" runs for n ≤ 13)
        var agreement = Agreement("wilcoxon")
        for c in reference.wilcoxon {
            let zeroMethod = try #require(WilcoxonSignedRank.ZeroMethod(rawValue: c.zero_method))
            let method: WilcoxonSignedRank.Method = c.method == "exact" ? .exact : .normal
            // When tested here on the same differences
            let result = WilcoxonSignedRank.test(c.d, zeroMethod: zeroMethod, correction: c.correction, method: method)
            // Then statistic, p and z agree
            let label = "\(c.name) \(c.zero_method) \(c.method) correction=\(c.correction)"
            agreement.expect(result.statistic, c.statistic, "\(label) statistic")
            agreement.expect(result.pValue, c.pvalue, "\(label) p")
            agreement.expect(result.z, c.z, "\(label) z")
            #expect(result.method == method)
        }
        agreement.report()
    }

    @Test func wilcoxonIntegerDifferencesKeepTies() {
        // Given 200 legacy image pairs: WiScore differences in floating point, and 7c+2r+a differences
        var generator = Xoshiro256StarStar(seed: 11)
        var integer: [Int] = [], float: [Double] = []
        for _ in 0..<200 {
            let a = (0..<3).map { _ in generator.next(below: 3) }, b = (0..<3).map { _ in generator.next(below: 3) + (generator.next(below: 4) == 0 ? 0 : -1) }.map { max($0, 0) }
            let wiScore = { (s: [Int]) in (0.7 * Double(s[0]) + 0.2 * Double(s[1]) + 0.1 * Double(s[2])) / 2 }
            integer.append((7 * a[0] + 2 * a[1] + a[2]) - (7 * b[0] + 2 * b[1] + b[2]))
            float.append(wiScore(a) - wiScore(b))
        }
        // When both are tested
        let exact = WilcoxonSignedRank.test(integer)
        let noisy = WilcoxonSignedRank.test(float)
        // Then float noise splits ties that the integers keep, and moves the p-value
        #expect(Set(float.map(abs)).count > Set(integer.map(abs)).count)
        #expect(exact.pValue == WilcoxonSignedRank.test(integer.map { Double($0) / 20 }).pValue)
        #expect(exact.pValue != noisy.pValue)
    }

    @Test func wilcoxonAutoIsExactUpTo50() {
        // Given 50 and 51 differences with ties and zeros
        let fifty = (0..<50).map { $0 % 7 - 2 }
        let fiftyOne = (0..<51).map { $0 % 7 - 2 }
        // When tested with .auto
        // Then 50 use the exact distribution of the observed ranks and 51 the normal approximation
        #expect(WilcoxonSignedRank.test(fifty).method == .exact)
        #expect(WilcoxonSignedRank.test(fifty).pValue == WilcoxonSignedRank.test(fifty, method: .exact).pValue)
        #expect(WilcoxonSignedRank.test(fiftyOne).method == .normal)
        #expect(WilcoxonSignedRank.test(fiftyOne).z != nil)
    }

    @Test func wilcoxonAllZeroSaysNothing() {
        // Given differences that are all zero
        for zeroMethod in WilcoxonSignedRank.ZeroMethod.allCases {
            for method in [WilcoxonSignedRank.Method.auto, .exact, .normal] {
                // When tested
                let result = WilcoxonSignedRank.test([0, 0, 0, 0, 0, 0, 0, 0], zeroMethod: zeroMethod, method: method)
                // Then p = 1, never NaN or a p from the wrong distribution
                #expect(result.pValue == 1)
                #expect(result.zeros == 8)
            }
        }
    }

    @Test func signTestMatchesBinomtest() {
        // Given scipy's binomtest on the counts of positive and negative differences
        var agreement = Agreement("sign test")
        for c in reference.sign {
            // When the sign test is run here
            let result = SignTest.test(c.d)
            // Then counts and p agree (all-zero differences: p = 1)
            #expect(result.positive == c.positive && result.negative == c.negative)
            agreement.expect(result.pValue, c.pvalue, "sign \(c.positive)/\(c.negative)")
        }
        agreement.report()
    }

    @Test func mcnemarMatchesStatsmodels() {
        // Given statsmodels' mcnemar, exact and χ² with and without correction
        var agreement = Agreement("mcnemar")
        for c in reference.mcnemar {
            let method: McNemar.Method = c.exact ? .exact : .chiSquared(continuityCorrection: c.correction)
            // When computed here from the discordant counts
            let result = McNemar.test(b: c.b, c: c.c, method: method)
            // Then statistic and p agree (b = c = 0: statistic 0 and p 1, where statsmodels gives inf or NaN)
            agreement.expect(result.statistic, c.statistic, "mcnemar \(c.b),\(c.c) \(method) statistic")
            agreement.expect(result.pValue, c.pvalue, "mcnemar \(c.b),\(c.c) \(method) p")
        }
        agreement.report()
    }

    @Test func mcnemarCountsDiscordantPairs() throws {
        // Given two aligned binary sequences
        let first = [true, true, false, false, true, false, true]
        let second = [true, false, true, false, false, false, true]
        // When tested
        let result = try McNemar.test(first, second)
        // Then b counts 1→0 and c counts 0→1
        #expect(result.b == 2 && result.c == 1)
        #expect(throws: StatsError.self) { try McNemar.test([true], []) }
    }
}
