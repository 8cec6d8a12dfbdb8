/** The report's inline stylesheet (no web fonts, no external references; prints well). */
export const REPORT_CSS = `
:root{--fg:#1d2430;--muted:#5b6473;--line:#d6dae1;--bg:#fff;--new:#d95f02;--old:#1b5fa8}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK SC","PingFang SC",sans-serif;color:var(--fg);background:var(--bg)}
header,main,footer{max-width:1180px;margin:0 auto;padding:0 24px}
header{padding-top:24px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:19px;margin:32px 0 12px;padding-bottom:4px;border-bottom:2px solid var(--line)}
h3{font-size:16px;margin:20px 0 8px}
h4{font-size:13px;margin:0 0 4px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.meta,.legend,figcaption,footer{color:var(--muted);font-size:13px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{border:1px solid var(--line);padding:6px 10px;text-align:left;vertical-align:top}
thead th{background:#f3f5f8}
tbody th{font-weight:600}
td.num{text-align:right}
.better-new{background:#e9f6ec}
.better-old{background:#fdecea}
.same{color:var(--muted)}
.charts{display:flex;flex-wrap:wrap;gap:16px}
figure{margin:0;flex:1 1 540px;max-width:580px}
svg{max-width:100%;height:auto;font:11px system-ui,sans-serif}
svg text{fill:var(--fg)}
svg .label{font-size:12px;fill:var(--muted)}
svg .plot{fill:#fbfcfd;stroke:none}
svg .grid{stroke:#e6e9ee;stroke-width:1}
svg .axis{stroke:#6b7380;stroke-width:1}
.pair{border:1px solid var(--line);border-radius:6px;padding:8px 14px 14px;margin:14px 0}
.pair h3{margin-top:6px}
.sim{font-weight:400;color:var(--muted);font-size:13px;margin-left:8px}
.sides{display:grid;grid-template-columns:1fr 1fr;gap:14px}
pre{white-space:pre-wrap;word-break:break-word;margin:0;padding:10px;background:#f7f8fa;border-radius:4px;font:13px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;max-height:420px;overflow:auto}
del{background:#fbd3cf;text-decoration:line-through;text-decoration-thickness:2px}
ins{background:#cdebd3;text-decoration:underline;text-decoration-thickness:2px}
footer{margin:40px auto 24px}
@media print{pre{max-height:none}.charts{display:block}}
`;
