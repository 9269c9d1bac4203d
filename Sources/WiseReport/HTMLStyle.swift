import Foundation

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

/// The HTML report's shared style sheet, filter script and wording.
enum HTMLStyle {
    /// The one wording for a prompt without an image to show, whatever the reason.
    static let noImage = "no image"

    /// Laid out for 800 px and up: tables scroll sideways inside their box, charts and cards shrink.
    static let css = """
        body{font:14px/1.4 system-ui,sans-serif;margin:1em auto;padding:0 12px;max-width:1400px;color:#222;background:#fafafa}
        h1{font-size:1.4em;overflow-wrap:anywhere}.scroll{overflow-x:auto;max-width:100%}
        table{border-collapse:collapse;background:#fff}th,td{border:1px solid #ddd;padding:3px 6px;text-align:right;vertical-align:top}
        th{white-space:nowrap}th:first-child,td:first-child{text-align:left;overflow-wrap:anywhere;min-width:5em;max-width:14em}td small{display:inline-block;max-width:16em}tr.mixed{background:#fff4e0}small{color:#666}
        .note,.order,.judge{color:#444;margin:.3em 0;overflow-wrap:anywhere}.judge{font-weight:600}
        .charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:10px}
        figure{margin:0;background:#fff;border:1px solid #ddd;padding:6px}figcaption{font-weight:600}svg{width:100%;height:auto;display:block}
        .grid{stroke:#eee}.tick{font-size:10px;fill:#888;text-anchor:middle}.label{font-size:11px;text-anchor:end;fill:#333}
        .ci{stroke:#4a7fd4;stroke-width:3}.dot{fill:#c0392b}ul.runs{columns:3 14em;padding-left:1.2em}ul.runs li{overflow-wrap:anywhere}
        #filters{margin:.6em 0;display:flex;gap:10px;flex-wrap:wrap;align-items:center}select{max-width:14em}
        #cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:10px}
        .card{background:#fff;border:1px solid #ddd;padding:8px;border-radius:4px;min-width:0}.card[hidden]{display:none}
        .card .body{display:flex;gap:8px;align-items:flex-start}.card .text{flex:1;min-width:0}
        .pid{font-weight:700}.cat{color:#666}.dis{color:#b35c00;font-size:12px}
        .prompt{font-weight:600;margin:.2em 0}.expl{color:#555;margin:.2em 0 .4em}
        .card img{width:160px;height:auto;max-height:240px;object-fit:contain;display:block;background:#eee;flex:none}
        .noimg{width:160px;min-height:60px;flex:none;background:#eee;color:#777;display:flex;flex-direction:column;align-items:center;justify-content:center;text-align:center;font-size:12px}
        .rep{font-size:12px;margin-top:3px}pre{white-space:pre-wrap;overflow-wrap:anywhere;max-height:200px;overflow:auto;background:#f3f3f3;padding:4px}
        footer{margin-top:2em;padding-top:.5em;border-top:1px solid #ddd;color:#666;font-size:12px;overflow-wrap:anywhere}
        @media (max-width:820px){#cards{grid-template-columns:1fr}.card img,.noimg{width:128px}}
        """

    /// Shows the cards the filters let through and counts them.
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
