import Testing
@testable import WiseStats

@Suite struct AgreementTests {
    let reference = Reference.shared

    @Test func kappaMatchesScikitLearn() throws {
        // Given sklearn's cohen_kappa_score, unweighted, linear and quadratic, on aspect scores,
        // binary verdicts, a scale with an unused middle, constant raters and perfect agreement
        var agreement = Agreement("cohen kappa")
        for c in reference.kappa {
            let weighting = try #require(CohenKappa.Weighting(rawValue: c.weights))
            // When computed here
            let result = try CohenKappa.kappa(c.y1, c.y2, weighting: weighting, labels: c.labels)
            // Then κ agrees; where sklearn says NaN (both raters constant), κ is nil
            agreement.expect(result.kappa, c.kappa, "\(c.name) \(c.weights)")
        }
        agreement.report()
    }

    @Test func kappaConfusionAndBadLabels() throws {
        // Given two raters on a 0–2 scale
        let result = try CohenKappa.kappa([0, 1, 2, 2], [0, 2, 2, 1])
        // Then the confusion matrix is rows = first rater, columns = second
        #expect(result.labels == [0, 1, 2])
        #expect(result.confusion == [[1, 0, 0], [0, 0, 1], [0, 1, 1]])
        // And a rating outside explicit labels, or unequal lengths, is an error
        #expect(throws: StatsError.self) { try CohenKappa.kappa([0, 3], [0, 1], labels: [0, 1, 2]) }
        #expect(throws: StatsError.self) { try CohenKappa.kappa([0], [0, 1]) }
    }

    @Test func alphaMatchesKrippendorffPackage() throws {
        // Given krippendorff 0.9's alpha at three levels: its documented examples, four raters
        // with 20% missing, real-valued ratings, binary, constant data and one pairable value
        var agreement = Agreement("krippendorff alpha")
        for c in reference.alpha {
            let level = try #require(KrippendorffAlpha.Level(rawValue: c.level))
            // When computed here
            let alpha = try KrippendorffAlpha.alpha(c.data, level: level)
            // Then α agrees; where the package raises or says NaN, α is nil
            agreement.expect(alpha, c.alpha, "\(c.name) \(c.level)")
        }
        agreement.report()
    }

    @Test func alphaTakesIntegerRatingsAndRejectsRaggedData() throws {
        // Given two raters who agree on three units and one rates a fourth alone
        let ratings: [[Int?]] = [[0, 1, 2, nil], [0, 1, 2, 1]]
        // Then α is 1 at every level, and ragged rows are an error
        for level in KrippendorffAlpha.Level.allCases {
            #expect(try KrippendorffAlpha.alpha(ratings, level: level) == 1)
        }
        #expect(throws: StatsError.self) { try KrippendorffAlpha.alpha([[1, 2], [1]] as [[Int?]], level: .nominal) }
    }

    @Test func iccMatchesPingouinUnrounded() {
        // Given pingouin's ICC(A,1) row with rounding switched off (its CI cross-checked in the
        // script against scipy's F quantiles), including targets dropped for a missing rating
        var agreement = Agreement("icc(2,1)")
        for c in reference.icc {
            // When computed here
            guard let result = try? IntraclassCorrelation.icc2(c.data) else {
                Issue.record("\(c.name): threw")
                continue
            }
            // Then ICC, F, degrees of freedom, p and the interval agree; constant data give a nil ICC,
            // perfect agreement ICC 1, F = inf, p = 0 and no interval
            agreement.expect(result.icc, c.icc, "\(c.name) icc")
            if c.f_infinite == true { #expect(result.f == .infinity) } else { agreement.expect(result.f, c.f, "\(c.name) F") }
            agreement.expect(result.df1, c.df1, "\(c.name) df1")
            agreement.expect(result.df2, c.df2, "\(c.name) df2")
            agreement.expect(result.pValue, c.pvalue, "\(c.name) p")
            agreement.expect(result.lower, c.lower, "\(c.name) lower")
            agreement.expect(result.upper, c.upper, "\(c.name) upper")
        }
        agreement.report()
    }

    @Test func iccNeedsTwoTargetsAndTwoRaters() {
        // Given too little data, Then it is an error rather than a NaN
        #expect(throws: StatsError.self) { try IntraclassCorrelation.icc2([[1, 2]]) }
        #expect(throws: StatsError.self) { try IntraclassCorrelation.icc2([[1], [2]]) }
        #expect(throws: StatsError.self) { try IntraclassCorrelation.icc2([[1, 2], [1, nil]]) }
    }

    @Test func kendallMatchesScipy() throws {
        // Given scipy's kendalltau (τ-b, method auto): exact without ties for n ≤ 33 or one swap,
        // normal with tie correction otherwise, and NaN for a constant variable
        var agreement = Agreement("kendall tau-b")
        for c in reference.kendall {
            // When computed here
            let result = try KendallTau.tauB(c.x, c.y)
            // Then τ and p agree (nil where scipy says NaN)
            agreement.expect(result.tau, c.tau, "\(c.name) tau")
            agreement.expect(result.pValue, c.pvalue, "\(c.name) p")
        }
        agreement.report()
    }
}
