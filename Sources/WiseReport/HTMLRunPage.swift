import Foundation
import WiseCore

extension HTMLReport {
    /// Run `r`'s gallery page: the judge once, a card per prompt with a registered image (its
    /// thumbnail from `shown`, or "no image" and why from `refused`), filters, the footer.
    public func renderRunPage(_ r: Int, shown: [Int: String], refused: [Int: String]) -> String {
        let gallery = runs[r]
        let registered = Set(gallery.registered)
        let carded = prompts.filter { registered.contains($0.id) }
        let title = "\(gallery.run.name) · WISE \(board.board.set.rawValue)"
        var html = Self.head(title: title)
        html += "<p class=\"nav\"><a href=\"index.html\">← board</a></p><h1>\(escapeHTML(gallery.run.name))</h1>\n"
        let judge = gallery.judge?.spec.judgeDescription ?? "not judged yet"
        html += "<p class=\"judge\">Judge: \(escapeHTML(judge))</p>\n"
        let without = prompts.map(\.id).filter { !registered.contains($0) }
        html += "<p class=\"note\">\(carded.count) prompts with an image, \(shown.count) shown"
        if without.isEmpty {
            html += ".</p>\n"
        } else {
            html += "; \(without.count) with \(HTMLStyle.noImage).</p><details class=\"note\"><summary>prompts with \(HTMLStyle.noImage)</summary>\(escapeHTML(PromptSelection.ranges(without)))</details>\n"
        }
        html += filters(carded)
        html += "<div id=\"cards\">\n"
        for prompt in carded { html += card(prompt, gallery, image: shown[prompt.id], refused: refused[prompt.id]) }
        html += "</div></section>\n<script>\(HTMLStyle.script)</script>\n"
        html += footerHTML(judge: judge) + "</body></html>\n"
        return html
    }

    func filters(_ carded: [Prompt]) -> String {
        let subcategories = Array(Set(carded.map(\.subcategory))).sorted()
        var out = """
            <section id="gallery">
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

            """
        return out
    }

    /// One prompt's card: the prompt, its explanation, the image, and each repeat's scores and reply.
    func card(_ prompt: Prompt, _ gallery: GalleryRun, image: String?, refused: String?) -> String {
        let judgments = gallery.judge?.judgments[prompt.id] ?? []
        let parseSensitive = gallery.judge?.parseSensitive.contains(prompt.id) ?? false
        let disagree = parseSensitive || Set(judgments.compactMap(\.wiscore)).count > 1
        var out = "<article class=\"card\" data-category=\"\(prompt.category.rawValue)\" data-subcategory=\"\(escapeHTML(prompt.subcategory))\" data-score=\"\(String(format: "%.10g", gallery.run.value(prompt.id) ?? -1))\" data-disagree=\"\(disagree ? 1 : 0)\">"
        out += "<header><span class=\"pid\">#\(prompt.id)</span> <span class=\"cat\">\(escapeHTML(prompt.category.title)) · \(escapeHTML(prompt.subcategory))</span>"
        if disagree { out += " <b class=\"dis\">\(parseSensitive ? "parse-sensitive" : "repeats differ")</b>" }
        out += "</header><div class=\"body\">"
        if let image {
            out += "<img src=\"\(escapeHTML(image))\" alt=\"image for prompt \(prompt.id)\" loading=\"lazy\">"
        } else {
            out += "<div class=\"noimg\">\(HTMLStyle.noImage)\(refused.map { "<small>\(escapeHTML($0))</small>" } ?? "")</div>"
        }
        out += "<div class=\"text\"><p class=\"prompt\">\(escapeHTML(prompt.text))</p><p class=\"expl\">\(escapeHTML(prompt.explanation))</p>"
        let aspects = board.board.scoringProtocol.aspects
        for j in judgments {
            out += "<div class=\"rep\">\(judgments.count > 1 ? "repeat \(j.repeatIndex): " : "")"
            if let scores = j.scores {
                let names = aspects.filter { scores.values[$0] != nil } + scores.values.keys.filter { !aspects.contains($0) }.sorted()
                out += names.map { "\(escapeHTML($0.replacingOccurrences(of: "_", with: " "))) <b>\(formatNumber(scores.values[$0] ?? 0))</b>" }.joined(separator: " · ")
            } else {
                out += "<b>\(escapeHTML(j.status.rawValue))</b> \(escapeHTML(j.error ?? ""))"
            }
            if let w = j.wiscore { out += " · WiScore <b>\(fixed(w, 3))</b>" }
            if let reply = j.rawReply, !reply.isEmpty {
                out += "<details><summary>reply</summary><pre>\(escapeHTML(reply))</pre></details>"
            }
            out += "</div>"
        }
        if judgments.isEmpty { out += "<div class=\"rep\">not judged</div>" }
        return out + "</div></div></article>\n"
    }
}
