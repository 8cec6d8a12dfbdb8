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
.scroll{overflow-x:auto}
table.compact td,table.compact th{white-space:nowrap;padding:4px 10px}
table.compact td.n{white-space:normal;min-width:9em}
table.compact td:last-child{white-space:normal;min-width:11em}
.summary td.n{color:var(--muted);font-size:13px}
dl.run{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:2px 20px;margin:10px 0 0;font-size:13px;color:var(--muted)}
dl.run div{display:flex;gap:6px;min-width:0}
dl.run dt{font-weight:600;color:var(--fg);min-width:3.2em}
dl.run dd{margin:0;overflow-wrap:anywhere}
.simulated{margin:0 0 10px;padding:8px 12px;border:3px dashed #7a5a00;background:repeating-linear-gradient(135deg,#fff6d6 0 12px,#ffe9a8 12px 24px);color:#3d2e00;font-weight:600}
.simulated strong{font-size:18px;letter-spacing:.08em;margin-right:6px}
.verdict{margin:18px 0 8px;padding:12px 18px;border-radius:8px;color:#111}
.verdict-go{border:4px solid #1e7b34;background:#e3f4e7}
.verdict-no-go{border:6px double #b3261e;background:#fde3e0}
.verdict-inconclusive{border:4px dashed #8a6100;background:#fff3cf}
.decision{margin:0 0 6px;font-size:22px;line-height:1.3}
.decision strong{font-size:30px;letter-spacing:.04em;margin-right:10px}
.decision .icon{display:inline-block;width:1.3em;font-size:30px;font-weight:700}
.reasons{margin:6px 0 0;padding-left:22px}
.reasons li{margin:3px 0}
.reasons .mark{display:inline-block;width:1.1em;font-weight:700}
.reasons .sev{font-size:11px;text-transform:uppercase;letter-spacing:.06em;border:1px solid currentColor;border-radius:3px;padding:0 4px;margin-right:4px;color:#333}
.reasons .sev-block .sev{background:#111;color:#fff;border-color:#111}
.verdict details{margin-top:6px;font-size:14px}
.verdict summary{cursor:pointer;color:#333}
@media (max-width:600px){header,main,footer{padding:0 10px}.decision strong{font-size:24px}.decision{font-size:17px}.verdict{padding:10px 12px}.sides{grid-template-columns:1fr}}
@media print{pre{max-height:none}.charts{display:block}}
`;
