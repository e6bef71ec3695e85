/// The report's stylesheet, inlined into the page so that it needs nothing from the network;
/// the SVG charts take their colours and strokes from it too.
enum ReportStyle {
    static let css = """
    :root { --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; --paper: #f6f7f9; --card: #fff;
            --accent: #2563eb; --accent-2: #f59e0b; --accent-3: #10b981; --bad: #dc2626; --good: #059669; --warn: #d97706; }
    * { box-sizing: border-box; }
    body { margin: 0; background: var(--paper); color: var(--ink);
           font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "DejaVu Sans", sans-serif; }
    main { max-width: 1240px; margin: 0 auto; padding: 0 24px 48px; }
    header.page { background: #111827; color: #f9fafb; padding: 28px 24px 22px; }
    header.page .inner { max-width: 1240px; margin: 0 auto; }
    header.page h1 { margin: 0 0 6px; font-size: 24px; font-weight: 650; letter-spacing: -0.01em; }
    header.page .run-id { color: #93c5fd; font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; }
    header.page dl.facts { color: #d1d5db; margin-top: 14px; }
    header.page dl.facts dt { color: #9ca3af; }
    header.page code { color: #e5e7eb; }
    nav.toc { max-width: 1240px; margin: 16px auto 0; padding: 0 24px; display: flex; flex-wrap: wrap; gap: 8px; }
    nav.toc a { background: var(--card); border: 1px solid var(--line); border-radius: 999px; padding: 4px 12px;
                color: var(--ink); text-decoration: none; font-size: 13px; }
    nav.toc a:hover { border-color: var(--accent); color: var(--accent); }
    section { margin-top: 28px; }
    section > h2 { font-size: 20px; margin: 0 0 12px; padding-bottom: 6px; border-bottom: 2px solid var(--line);
                   display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
    h3 { font-size: 14px; margin: 0 0 10px; color: #374151; font-weight: 600; }
    h4 { font-size: 13px; margin: 14px 0 6px; color: #374151; }
    .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 16px; margin-bottom: 16px; }
    .card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px;
            box-shadow: 0 1px 2px rgba(0,0,0,0.04); min-width: 0; margin: 0; }
    .card.wide { grid-column: 1 / -1; }
    .card .subtitle, figcaption { color: var(--muted); font-size: 12.5px; margin: -4px 0 10px; }
    figcaption { margin: 8px 0 0; }
    .chart-card svg { display: block; width: 100%; height: auto; }
    .muted { color: var(--muted); font-weight: 500; }
    .split { display: flex; flex-wrap: wrap; gap: 12px 24px; align-items: flex-start; }
    .split-chart { flex: 0 1 480px; min-width: 320px; }
    .split-details { flex: 1 1 420px; min-width: 0; }
    .split-details dl.facts { margin-bottom: 10px; }
    .note { color: var(--muted); background: #f9fafb; border: 1px dashed #d1d5db; border-radius: 8px; padding: 10px 12px; margin: 0 0 12px; }
    .table-wrap { overflow-x: auto; }
    table { border-collapse: collapse; width: 100%; font-size: 13px; }
    th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
    th { color: var(--muted); font-weight: 600; font-size: 12px; text-transform: uppercase; letter-spacing: 0.03em; }
    td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
    table.compact td, table.compact th { padding: 4px 8px; }
    tbody tr:hover { background: #f9fafb; }
    td.wrap { white-space: normal; }
    dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 0; font-size: 13px; }
    dl.facts dt { color: var(--muted); }
    dl.facts dd { margin: 0; font-variant-numeric: tabular-nums; }
    code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12px; }
    .badge { display: inline-block; font-size: 12px; font-weight: 600; border-radius: 999px; padding: 2px 10px;
             background: #eef2ff; color: #3730a3; }
    .badge.good { background: #d1fae5; color: #065f46; }
    .badge.bad { background: #fee2e2; color: #991b1b; }
    .badge.warn { background: #fef3c7; color: #92400e; }
    .badge.neutral { background: #f3f4f6; color: #374151; }
    pre { background: #f9fafb; border: 1px solid var(--line); border-radius: 8px; padding: 10px; overflow: auto; max-height: 320px; font-size: 12px; }
    footer { color: var(--muted); font-size: 12px; margin-top: 36px; text-align: center; }
    svg.chart text { font-family: inherit; fill: #374151; }
    svg.chart .tick { font-size: 11px; fill: var(--muted); }
    svg.chart .axis-title { font-size: 12px; fill: #374151; }
    svg.chart .label { font-size: 12px; }
    svg.chart .value, svg.chart .legend { font-size: 11px; fill: #4b5563; }
    svg.chart .grid { stroke: #eef0f3; stroke-width: 1; }
    svg.chart .axis { stroke: #9ca3af; stroke-width: 1; }
    svg.chart .reference { stroke: #9ca3af; stroke-width: 1.2; stroke-dasharray: 5 4; fill: none; }
    svg.chart .series { fill: none; stroke-width: 2.2; stroke-linejoin: round; }
    svg.chart .series-0 { stroke: var(--accent); fill: var(--accent); }
    svg.chart .series-1 { stroke: var(--accent-2); fill: var(--accent-2); }
    svg.chart .series-2 { stroke: var(--accent-3); fill: var(--accent-3); }
    svg.chart polyline.series { fill: none; }
    svg.chart .swatch { stroke-width: 3; }
    svg.chart .marker { fill-opacity: 0.85; stroke: #fff; stroke-width: 1; }
    svg.chart .bar { fill: var(--accent); fill-opacity: 0.85; }
    svg.chart .bar.flagged { fill: var(--bad); }
    svg.chart .dot { fill: var(--accent); fill-opacity: 0.35; }
    svg.chart .shap-dot { fill-opacity: 0.8; }
    @media print { body { background: #fff; } .card { box-shadow: none; break-inside: avoid; } nav.toc { display: none; } }
    """
}
