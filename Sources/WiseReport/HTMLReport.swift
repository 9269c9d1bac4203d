import Foundation
import WiseCore
import WiseStats

/// Every judgment one judge made of a run's images, for the gallery.
public struct GalleryJudge: Sendable {
    public var spec: AdapterSpec
    public var judgments: [Int: [StudyJudgment]]
    public var parseSensitive: Set<Int>
    public init(spec: AdapterSpec, judgments: [Int: [StudyJudgment]], parseSensitive: Set<Int>) {
        self.spec = spec; self.judgments = judgments; self.parseSensitive = parseSensitive
    }
}

/// A run with its images and every judge's judgments, for the gallery.
public struct GalleryRun: Sendable {
    public var run: StudyRun
    public var images: [Int: StudyImage]
    public var judges: [GalleryJudge]
    /// The folder the run's images were registered from, when it has one: nothing outside it is copied.
    public var imageFolder: String?
    public init(run: StudyRun, images: [Int: StudyImage], judges: [GalleryJudge], imageFolder: String? = nil) {
        self.run = run; self.images = images; self.judges = judges; self.imageFolder = imageFolder
    }
}

/// Escapes text for HTML element content and quoted attribute values: `& < > " '`.
///
/// The one escaping function of the report: every piece of text from the store (prompts,
/// explanations, replies, run names, paths) goes through it.
public func escapeHTML(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for ch in text.unicodeScalars {
        switch ch {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.unicodeScalars.append(ch)
        }
    }
    return out
}

/// A static, self-contained HTML report: one `index.html` (inline CSS and JS, no network) and
/// the run images copied into `images/`, shown at thumbnail size.
///
/// The page holds the leaderboard with intervals, an SVG chart per category (estimate and
/// interval per run), and a gallery with one card per prompt: prompt, explanation, each run's
/// image and each judge's scores and raw replies, filterable by category, subcategory, score
/// and disagreement (parse-sensitive replies, judges or repeats that differ).
public struct HTMLReport: Sendable {
    public var board: UncertainBoard
    public var prompts: [Prompt]
    public var runs: [GalleryRun]

    public init(board: UncertainBoard, prompts: [Prompt], runs: [GalleryRun]) {
        self.board = board; self.prompts = prompts; self.runs = runs
    }

    /// Writes `index.html` and `images/` into a folder (created if needed); returns the index's URL.
    public func write(to folder: URL) throws -> URL {
        let images = folder.appendingPathComponent("images")
        do {
            try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        } catch {
            throw CannotCreate("cannot create report folder \(images.path): \(error.localizedDescription)")
        }
        var sources: [String: String] = [:]
        var refused: [String: String] = [:]
        for (r, gallery) in runs.enumerated() {
            for (id, image) in gallery.images where image.status == .ok {
                let bytes: Data
                switch Self.judgedBytes(of: image, inside: gallery.imageFolder) {
                case .failure(let problem):
                    refused["\(r)-\(id)"] = problem.text
                    continue
                case .success(let data): bytes = data
                }
                let format = ImageFormat.sniff(bytes)?.rawValue ?? "img"
                let name = "r\(r)-\(id)." + (format == "jpeg" ? "jpg" : format)
                do { try bytes.write(to: images.appendingPathComponent(name), options: .atomic) } catch {
                    throw CannotCreate("cannot write \(name) into \(images.path): \(error.localizedDescription)")
                }
                sources["\(r)-\(id)"] = "images/" + name
            }
        }
        let index = folder.appendingPathComponent("index.html")
        do { try Data(render(imageSources: sources, refused: refused).utf8).write(to: index, options: .atomic) } catch {
            throw CannotCreate("cannot write \(index.path): \(error.localizedDescription)")
        }
        return index
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

    /// The page; `imageSources["run-id"]` is the relative path of a copied image, `refused["run-id"]`
    /// why a registered image is not shown.
    public func render(imageSources: [String: String], refused: [String: String] = [:]) -> String {
        let places = board.board.defaultDecimals
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self' file: data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>WISE \(escapeHTML(board.board.set.rawValue)) report</title>
            <style>\(Self.css)</style></head><body>
            <h1>WISE \(escapeHTML(board.board.set.rawValue)) · protocol \(escapeHTML(board.board.scoringProtocol.rawValue))</h1>

            """
        html += leaderboard(places)
        html += charts()
        html += gallery(imageSources, refused: refused)
        html += "<script>\(Self.script)</script>\n</body></html>\n"
        return html
    }

    func leaderboard(_ places: Int) -> String {
        var out = "<section id=\"leaderboard\"><h2>Leaderboard</h2>\n"
        out += "<p class=\"note\">\(Int((board.confidence * 100).rounded()))% intervals from a stratified bootstrap over prompts within categories (\(board.resamples) resamples, seed \(board.seed)).</p>\n"
        out += "<table><thead><tr><th>Run</th><th>Overall</th><th>Rank</th>"
            + Category.allCases.map { "<th>\(escapeHTML($0.title))</th>" }.joined() + "<th>Coverage</th><th>Judge</th></tr></thead><tbody>\n"
        for row in board.rows {
            let cov = row.coverage.overall
            out += "<tr\(row.fingerprintMixed ? " class=\"mixed\"" : "")><td>\(escapeHTML(row.run.name))\(row.fingerprintMixed ? " *" : "")</td>"
            out += "<td>\(cell(row.run.summary.score.overall, row.overall, places))</td>"
            out += "<td>\(row.rank.map { "\($0) <small>[\(row.rankInterval!.lowerBound)–\(row.rankInterval!.upperBound)]</small>" } ?? "—")</td>"
            for c in Category.allCases { out += "<td>\(cell(row.run.summary.score.categories[c]?.score, row.categories[c], places))</td>" }
            out += "<td>\(cov.scored)/\(cov.total)"
            if cov.scored < cov.total { out += "<br><small>\(fixed(cov.worst, places))–\(fixed(cov.best, places)); \(escapeHTML(row.coverage.official.reason))</small>" }
            out += "</td><td><small>\(escapeHTML(row.run.summary.judge?.judgeDescription ?? "not judged"))</small></td></tr>\n"
        }
        out += "</tbody></table>\n"
        for pair in board.order {
            out += "<p class=\"order\">P(\(escapeHTML(pair.upper)) above \(escapeHTML(pair.lower))) = \(String(format: "%.3f", pair.probability))</p>\n"
        }
        for note in board.notes { out += "<p class=\"note\">\(escapeHTML(note))</p>\n" }
        return out + "</section>\n"
    }

    func cell(_ score: Double?, _ interval: ConfidenceInterval?, _ places: Int) -> String {
        fixed(score, places) + (interval.map { " <small>[\(fixed($0.lower, places)), \(fixed($0.upper, places))]</small>" } ?? "")
    }

    /// One SVG per category and one for the overall: a dot at each run's estimate and a line over its interval.
    func charts() -> String {
        var out = "<section id=\"charts\"><h2>Scores with intervals</h2><div class=\"charts\">\n"
        let panels: [(String, (UncertainBoard.Row) -> (Double?, ConfidenceInterval?))] =
            [("Overall", { ($0.run.summary.score.overall, $0.overall) })]
            + Category.allCases.map { c in (c.title, { ($0.run.summary.score.categories[c]?.score, $0.categories[c]) }) }
        let rowHeight = 22, left = 130, width = 260
        for (title, value) in panels {
            let height = 30 + rowHeight * board.rows.count
            out += "<figure><figcaption>\(escapeHTML(title))</figcaption><svg width=\"\(left + width + 20)\" height=\"\(height)\" role=\"img\" aria-label=\"\(escapeHTML(title)) scores\">"
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

    func gallery(_ sources: [String: String], refused: [String: String] = [:]) -> String {
        let subcategories = Array(Set(prompts.map(\.subcategory))).sorted()
        var out = """
            <section id="gallery"><h2>Gallery</h2>
            <form id="filters" onsubmit="return false">
            <label>Category <select id="f-category"><option value="">all</option>
            """
        out += Category.allCases.map { "<option value=\"\($0.rawValue)\">\(escapeHTML($0.title))</option>" }.joined()
        out += "</select></label> <label>Subcategory <select id=\"f-subcategory\"><option value=\"\">all</option>"
        out += subcategories.map { "<option value=\"\(escapeHTML($0))\">\(escapeHTML($0))</option>" }.joined()
        out += """
            </select></label>
            <label>Score from <input id="f-min" type="number" min="0" max="1" step="0.05" value="0"></label>
            <label>to <input id="f-max" type="number" min="0" max="1" step="0.05" value="1"></label>
            <label><input id="f-disagree" type="checkbox"> disagreement only</label>
            <span id="shown"></span></form>
            <div id="cards">

            """
        for prompt in prompts {
            var values: [Double] = []
            var disagree = false
            var body = ""
            for (r, gallery) in runs.enumerated() {
                if let v = gallery.run.value(prompt.id) { values.append(v) }
                body += "<div class=\"run\"><h4>\(escapeHTML(gallery.run.name))</h4>"
                if let src = sources["\(r)-\(prompt.id)"] {
                    body += "<img src=\"\(escapeHTML(src))\" alt=\"\(escapeHTML(gallery.run.name)) image for prompt \(prompt.id)\" loading=\"lazy\">"
                } else if let why = refused["\(r)-\(prompt.id)"] {
                    body += "<div class=\"noimg mismatch\">\(escapeHTML(why))</div>"
                } else {
                    let status = gallery.images[prompt.id]?.status
                    body += "<div class=\"noimg\">\(status == .external ? "scores imported, no image" : status == .missing ? "image missing" : "no image")</div>"
                }
                var firsts: [Double] = []
                for judge in gallery.judges {
                    let judgments = judge.judgments[prompt.id] ?? []
                    guard !judgments.isEmpty else { continue }
                    let scored = judgments.compactMap(\.wiscore)
                    if let first = scored.first { firsts.append(first) }
                    if Set(scored).count > 1 || judge.parseSensitive.contains(prompt.id) { disagree = true }
                    body += "<div class=\"judge\"><div class=\"jname\">\(escapeHTML(judge.spec.judgeDescription))\(judge.parseSensitive.contains(prompt.id) ? " <b class=\"ps\">parse-sensitive</b>" : "")</div>"
                    for j in judgments {
                        let scores = j.scores.map { s in s.values.keys.sorted().map { "\($0) \(formatNumber(s.values[$0]!))" }.joined(separator: ", ") }
                        body += "<div class=\"rep\">repeat \(j.repeatIndex): <b>\(escapeHTML(j.status.rawValue))</b> \(escapeHTML(scores ?? j.error ?? ""))\(j.wiscore.map { " · WiScore \(fixed($0, 3))" } ?? "")"
                        if let reply = j.rawReply, !reply.isEmpty {
                            body += "<details><summary>reply</summary><pre>\(escapeHTML(reply))</pre></details>"
                        }
                        body += "</div>"
                    }
                    body += "</div>"
                }
                if Set(firsts).count > 1 { disagree = true }
                body += "</div>"
            }
            let mean = values.isEmpty ? -1 : values.reduce(0, +) / Double(values.count)
            out += "<article class=\"card\" data-category=\"\(prompt.category.rawValue)\" data-subcategory=\"\(escapeHTML(prompt.subcategory))\" data-score=\"\(String(format: "%.10g", mean))\" data-disagree=\"\(disagree ? 1 : 0)\">"
            out += "<header><span class=\"pid\">#\(prompt.id)</span> <span class=\"cat\">\(escapeHTML(prompt.category.title)) · \(escapeHTML(prompt.subcategory))</span>\(disagree ? " <b class=\"dis\">disagreement</b>" : "")</header>"
            out += "<p class=\"prompt\">\(escapeHTML(prompt.text))</p><p class=\"expl\">\(escapeHTML(prompt.explanation))</p>"
            out += "<div class=\"runs\">\(body)</div></article>\n"
        }
        return out + "</div></section>\n"
    }

    static let css = """
        body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}
        table{border-collapse:collapse;background:#fff}th,td{border:1px solid #ddd;padding:4px 8px;text-align:right;vertical-align:top}
        th:first-child,td:first-child{text-align:left}tr.mixed{background:#fff4e0}small{color:#666}
        .note,.order{color:#444;margin:.3em 0}.charts{display:flex;flex-wrap:wrap;gap:12px}
        figure{margin:0;background:#fff;border:1px solid #ddd;padding:6px}figcaption{font-weight:600}
        .grid{stroke:#eee}.tick{font-size:10px;fill:#888;text-anchor:middle}.label{font-size:11px;text-anchor:end;fill:#333}
        .ci{stroke:#4a7fd4;stroke-width:3}.dot{fill:#c0392b}
        #filters{margin:.6em 0;display:flex;gap:12px;flex-wrap:wrap;align-items:center}
        #cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:12px}
        .card{background:#fff;border:1px solid #ddd;padding:8px;border-radius:4px}.card[hidden]{display:none}
        .pid{font-weight:700}.cat{color:#666}.dis,.ps{color:#b35c00;font-size:12px}
        .prompt{font-weight:600;margin:.4em 0}.expl{color:#555;margin:.2em 0 .5em}
        .runs{display:flex;flex-wrap:wrap;gap:8px}.run{flex:1 1 150px;border-top:1px solid #eee}.run h4{margin:.3em 0}
        .run img{width:160px;height:auto;max-height:240px;object-fit:contain;display:block;background:#eee}.noimg{width:160px;height:60px;background:#eee;color:#777;display:flex;align-items:center;justify-content:center;font-size:12px}
        .judge{font-size:12px;margin-top:4px}.jname{color:#555;overflow-wrap:anywhere}.card,.run{min-width:0}td small{overflow-wrap:anywhere}pre{white-space:pre-wrap;max-height:200px;overflow:auto;background:#f3f3f3;padding:4px}
        """

    static let script = """
        (function () {
          var ids = ['f-category', 'f-subcategory', 'f-min', 'f-max', 'f-disagree'];
          function apply() {
            var c = document.getElementById('f-category').value, s = document.getElementById('f-subcategory').value;
            var lo = parseFloat(document.getElementById('f-min').value), hi = parseFloat(document.getElementById('f-max').value);
            var d = document.getElementById('f-disagree').checked, shown = 0, cards = document.querySelectorAll('.card');
            if (isNaN(lo)) { lo = 0; } if (isNaN(hi)) { hi = 1; }
            for (var i = 0; i < cards.length; i++) {
              var k = cards[i].dataset, v = parseFloat(k.score);
              var ok = (!c || k.category === c) && (!s || k.subcategory === s) && (v < 0 || (v >= lo && v <= hi)) && (!d || k.disagree === '1');
              cards[i].hidden = !ok;
              if (ok) { shown++; }
            }
            document.getElementById('shown').textContent = shown + ' of ' + cards.length + ' prompts';
          }
          ids.forEach(function (id) { var e = document.getElementById(id); e.addEventListener('input', apply); e.addEventListener('change', apply); });
          apply();
        })();
        """
}

/// An output file or folder that cannot be created.
struct CannotCreate: WiseError {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
    var kind: ErrorKind { .cannotCreate }
}
