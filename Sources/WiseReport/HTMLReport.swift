import Foundation
import WiseCore
import WiseStats

/// The judgments of the judge a board shows for one run, for the gallery.
public struct GalleryJudge: Sendable {
    public var spec: AdapterSpec
    public var judgments: [Int: [StudyJudgment]]
    public var parseSensitive: Set<Int>
    public init(spec: AdapterSpec, judgments: [Int: [StudyJudgment]], parseSensitive: Set<Int>) {
        self.spec = spec; self.judgments = judgments; self.parseSensitive = parseSensitive
    }
}

/// A run with its images and the board's judge's judgments (the one `--judge` chose), for the gallery.
public struct GalleryRun: Sendable {
    public var run: StudyRun
    public var images: [Int: StudyImage]
    /// The judge the board scores this run with; nil for a run not judged yet.
    public var judge: GalleryJudge?
    /// The folder the run's images were registered from, when it has one: nothing outside it is shown.
    public var imageFolder: String?
    public init(run: StudyRun, images: [Int: StudyImage], judge: GalleryJudge?, imageFolder: String? = nil) {
        self.run = run; self.images = images; self.judge = judge; self.imageFolder = imageFolder
    }

    /// The prompt ids with a registered image, shown or not: the ones the gallery has a card for.
    public var registered: [Int] { images.values.filter { $0.status == .ok }.map(\.promptID).sorted() }
}

/// A static, self-contained HTML report in a folder: `index.html` with the board, one gallery page
/// per run that has images (`run-N.html`), and downscaled JPEG thumbnails in `thumbs/`.
///
/// The index is small whatever the runs hold (a board of 100 imported runs of 1000 items is a few
/// hundred kilobytes), and a gallery page loads one run's cards only: one per prompt with an image,
/// its thumbnail, the judge's scores (aspects in the order consistency, realism, aesthetic quality),
/// repeats and raw replies, filterable by category, subcategory, score and disagreement. The judge's
/// identity is said once per page, and every page ends with the same footer. No page refers to
/// anything off the machine (a Content-Security-Policy forbids it).
public struct HTMLReport: Sendable {
    public var board: UncertainBoard
    public var prompts: [Prompt]
    public var runs: [GalleryRun]
    public var footer: Footer

    /// What every page's footer says besides the judge: which wise, which catalogue, when.
    public struct Footer: Sendable {
        /// `0.1.0`.
        public var version: String
        /// Where the catalogue came from: `PKU-YuanGroup/WISE@eb51174`.
        public var catalogue: String
        public var date: Date
        public init(version: String, catalogue: String, date: Date) {
            self.version = version; self.catalogue = catalogue; self.date = date
        }
    }

    /// What `write(to:)` wrote.
    public struct Written: Sendable, Equatable {
        public var index: URL
        /// The gallery pages, one per run with a registered image.
        public var pages: [URL]
        public var thumbnailsMade: Int
        public var thumbnailsReused: Int
    }

    public init(board: UncertainBoard, prompts: [Prompt], runs: [GalleryRun], footer: Footer) {
        self.board = board; self.prompts = prompts; self.runs = runs; self.footer = footer
    }

    /// Writes the index, the gallery pages and the thumbnails into a folder (created if needed).
    ///
    /// A thumbnail already in `thumbs/` under its content-addressed name is reused, so writing the
    /// report again costs only the pages and the hashing that proves each image unchanged.
    public func write(to folder: URL) throws -> Written {
        let thumbs = ThumbnailFolder(folder: folder.appendingPathComponent("thumbs"))
        do {
            try FileManager.default.createDirectory(at: thumbs.folder, withIntermediateDirectories: true)
        } catch {
            throw CannotCreate("cannot create report folder \(thumbs.folder.path): \(error.localizedDescription)")
        }
        var written = Written(index: folder.appendingPathComponent("index.html"), pages: [], thumbnailsMade: 0, thumbnailsReused: 0)
        var pageNames: [Int: String] = [:]
        for (r, gallery) in runs.enumerated() where !gallery.registered.isEmpty {
            var shown: [Int: String] = [:], refused: [Int: String] = [:]
            let ids = gallery.registered
            // Hashing, decoding and encoding are each image's own work: on every core.
            let slots = ResultSlots<Result<(name: String, outcome: ThumbnailFolder.Outcome), ImageProblem>>(count: ids.count)
            DispatchQueue.concurrentPerform(iterations: ids.count) { i in
                guard let image = gallery.images[ids[i]] else { return }
                slots.set(i, Self.judgedBytes(of: image, inside: gallery.imageFolder).flatMap { thumbs.thumbnail(of: $0, sha256: image.sha256 ?? "") })
            }
            for (id, result) in zip(ids, slots.values) {
                switch result ?? .failure(ImageProblem("no registered file")) {
                case .failure(let problem): refused[id] = problem.text
                case .success(let thumbnail):
                    shown[id] = "thumbs/" + thumbnail.name
                    if thumbnail.outcome == .made { written.thumbnailsMade += 1 } else { written.thumbnailsReused += 1 }
                }
            }
            let name = "run-\(r + 1).html"
            pageNames[r] = name
            let url = folder.appendingPathComponent(name)
            try Self.writePage(renderRunPage(r, shown: shown, refused: refused), to: url)
            written.pages.append(url)
        }
        try Self.writePage(renderIndex(pages: pageNames), to: written.index)
        return written
    }

    static func writePage(_ html: String, to url: URL) throws {
        do { try Data(html.utf8).write(to: url, options: .atomic) } catch {
            throw CannotCreate("cannot write \(url.path): \(error.localizedDescription)")
        }
    }

    /// The bytes that were judged, read from where the image was registered, or why they are not
    /// shown: the path must be a regular file (never a symbolic link), inside the run's image
    /// folder when it has one, an image, and hash to what the store recorded.
    static func judgedBytes(of image: StudyImage, inside folder: String?) -> Result<Data, ImageProblem> {
        guard let path = image.path, let expected = image.sha256 else { return .failure(ImageProblem("no registered file")) }
        var info = stat()
        guard lstat(path, &info) == 0 else { return .failure(ImageProblem("image file gone since it was judged")) }
        guard info.st_mode & S_IFMT == S_IFREG else { return .failure(ImageProblem("not shown: the registered path is no longer a plain file")) }
        if let folder {
            let root = URL(fileURLWithPath: folder).resolvingSymlinksInPath().path
            let real = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            guard real.hasPrefix(root.hasSuffix("/") ? root : root + "/") else {
                return .failure(ImageProblem("not shown: the file is outside the run's image folder"))
            }
        }
        guard let data = FileManager.default.contents(atPath: path) else { return .failure(ImageProblem("image file unreadable")) }
        guard SHA256.hex(data) == expected else { return .failure(ImageProblem("not shown: the file changed since it was judged")) }
        if case .failure(let problem) = ImageCheck.inspect(data) { return .failure(ImageProblem("not shown: the file \(problem.text)")) }
        return .success(data)
    }

    // MARK: The index

    /// The judge every run on the board shares (imports count as one: who scored them is unknown), or nil.
    var sharedJudge: String? {
        let judges = Set(board.rows.map { $0.run.fingerprint.judgeIdentity?.judgeDescription ?? "not judged" })
        return judges.count == 1 ? judges.first : nil
    }

    /// The index page: the board, the charts, one link per run's gallery, the footer. `pages[r]` is run r's gallery file.
    public func renderIndex(pages: [Int: String]) -> String {
        let title = "WISE \(board.board.set.rawValue) · protocol \(board.board.scoringProtocol.rawValue)"
        var html = Self.head(title: title)
        html += "<h1>\(escapeHTML(title))</h1>\n"
        if let judge = sharedJudge { html += "<p class=\"judge\">Judge: \(escapeHTML(judge))</p>\n" }
        html += leaderboard(board.board.defaultDecimals)
        html += galleryLinks(pages)
        html += charts()
        html += footerHTML() + "</body></html>\n"
        return html
    }

    static func head(title: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self' file: data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escapeHTML(title))</title>
        <style>\(HTMLStyle.css)</style></head><body>

        """
    }

    func leaderboard(_ places: Int) -> String {
        let perRunJudge = sharedJudge == nil
        var out = "<section id=\"leaderboard\"><h2>Leaderboard</h2>\n"
        out += "<p class=\"note\">\(Int((board.confidence * 100).rounded()))% intervals from a stratified bootstrap over prompts within categories (\(board.resamples) resamples, seed \(board.seed)).</p>\n"
        out += "<div class=\"scroll\"><table><thead><tr><th>Run</th><th>Overall</th><th>Rank</th>"
            + Category.allCases.map { "<th>\(escapeHTML($0.title))</th>" }.joined() + "<th>Coverage</th>" + (perRunJudge ? "<th>Judge</th>" : "") + "</tr></thead><tbody>\n"
        for row in board.rows {
            let cov = row.coverage.overall
            out += "<tr\(row.fingerprintMixed ? " class=\"mixed\"" : "")><td>\(escapeHTML(row.run.name))\(row.fingerprintMixed ? " *" : "")</td>"
            out += "<td>\(cell(row.run.summary.score.overall, row.overall, places))</td><td>"
            if let rank = row.rank, let interval = row.rankInterval {
                out += "\(rank)<br><small>[\(interval.lowerBound)–\(interval.upperBound)]</small>"
            } else {
                out += "—"
            }
            out += "</td>"
            for c in Category.allCases { out += "<td>\(cell(row.run.summary.score.categories[c]?.score, row.categories[c], places))</td>" }
            out += "<td>\(cov.scored)/\(cov.total)"
            if cov.scored < cov.total { out += "<br><small>\(fixed(cov.worst, places))–\(fixed(cov.best, places)); \(escapeHTML(row.coverage.official.reason))</small>" }
            out += "</td>"
            if perRunJudge { out += "<td><small>\(escapeHTML(row.run.summary.judge?.judgeDescription ?? "not judged"))</small></td>" }
            out += "</tr>\n"
        }
        out += "</tbody></table></div>\n"
        for pair in board.order {
            out += "<p class=\"order\">P(\(escapeHTML(pair.upper)) above \(escapeHTML(pair.lower))) = \(String(format: "%.3f", pair.probability))</p>\n"
        }
        for note in board.notes { out += "<p class=\"note\">\(escapeHTML(note))</p>\n" }
        for row in board.rows {
            if let estimate = board.board.estimateNote(row.run.summary) { out += "<p class=\"note estimate\">\(escapeHTML(estimate))</p>\n" }
        }
        return out + "</section>\n"
    }

    func cell(_ score: Double?, _ interval: ConfidenceInterval?, _ places: Int) -> String {
        fixed(score, places) + (interval.map { "<br><small>[\(fixed($0.lower, places)), \(fixed($0.upper, places))]</small>" } ?? "")
    }

    /// One line per run: a link to its gallery page, or why it has none.
    func galleryLinks(_ pages: [Int: String]) -> String {
        var out = "<section id=\"galleries\"><h2>Galleries</h2>\n"
        let withPages = pages.count
        out += "<p class=\"note\">One page per run with images: a card for each prompt that has an image. \(withPages) of \(runs.count) runs have one.</p>\n<ul class=\"runs\">"
        for (r, gallery) in runs.enumerated() {
            if let page = pages[r] {
                out += "<li><a href=\"\(escapeHTML(page))\">\(escapeHTML(gallery.run.name))</a> <small>\(gallery.registered.count) images</small></li>"
            } else {
                out += "<li>\(escapeHTML(gallery.run.name)) <small>\(HTMLStyle.noImage)</small></li>"
            }
        }
        return out + "</ul></section>\n"
    }

    /// One SVG per category and one for the overall: a dot at each run's estimate and a line over
    /// its interval. Each scales down to the width it is given (a viewBox), so 800 px shows two side by side.
    func charts() -> String {
        var out = "<section id=\"charts\"><h2>Scores with intervals</h2><div class=\"charts\">\n"
        let panels: [(String, (UncertainBoard.Row) -> (Double?, ConfidenceInterval?))] =
            [("Overall", { ($0.run.summary.score.overall, $0.overall) })]
            + Category.allCases.map { c in (c.title, { ($0.run.summary.score.categories[c]?.score, $0.categories[c]) }) }
        let rowHeight = 22, left = 130, width = 220
        for (title, value) in panels {
            let height = 30 + rowHeight * board.rows.count
            out += "<figure><figcaption>\(escapeHTML(title))</figcaption><svg viewBox=\"0 0 \(left + width + 20) \(height)\" role=\"img\" aria-label=\"\(escapeHTML(title)) scores\">"
            for tick in stride(from: 0.0, through: 1.0, by: 0.25) {
                let x = Double(left) + tick * Double(width)
                out += "<line x1=\"\(x)\" y1=\"10\" x2=\"\(x)\" y2=\"\(height - 14)\" class=\"grid\"/><text x=\"\(x)\" y=\"\(height - 2)\" class=\"tick\">\(tick)</text>"
            }
            for (i, row) in board.rows.enumerated() {
                let y = 20 + i * rowHeight
                out += "<text x=\"\(left - 6)\" y=\"\(y + 4)\" class=\"label\">\(escapeHTML(String(row.run.name.prefix(18))))</text>"
                let (score, interval) = value(row)
                if let interval {
                    out += "<line x1=\"\(Double(left) + interval.lower * Double(width))\" y1=\"\(y)\" x2=\"\(Double(left) + interval.upper * Double(width))\" y2=\"\(y)\" class=\"ci\"/>"
                }
                if let score {
                    out += "<circle cx=\"\(Double(left) + score * Double(width))\" cy=\"\(y)\" r=\"4\" class=\"dot\"><title>\(escapeHTML(row.run.name)): \(fixed(score, 4))</title></circle>"
                }
            }
            out += "</svg></figure>\n"
        }
        return out + "</div></section>\n"
    }

    /// The footer of every page: wise's version, the catalogue, the judge (the page's, or else the board's), the date.
    func footerHTML(judge: String? = nil) -> String {
        let date = ISO8601DateFormatter.string(from: footer.date, timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate, .withTime, .withColonSeparatorInTime, .withSpaceBetweenDateAndTime])
        let catalogue = "\(footer.catalogue) · \(board.board.set.rawValue) content \(runs.first.map { String($0.run.catalogueHash.prefix(12)) } ?? "unknown")"
        return "<footer>wise \(escapeHTML(footer.version)) · catalogue \(escapeHTML(catalogue)) · judge \(escapeHTML(judge ?? sharedJudge ?? "per run (see the board)")) · written \(date) UTC</footer>\n"
    }
}

/// An output file or folder that cannot be created.
struct CannotCreate: WiseError {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
    var kind: ErrorKind { .cannotCreate }
}
