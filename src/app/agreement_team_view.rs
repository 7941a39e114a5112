//! The Agreement window's team sections: with many annotators, one pair at a time hides who
//! is out of line, so the window shows the pairwise κ matrix as a heatmap of painted cells
//! (each a button: hover for the value, click for the pair), the mean κ of each annotator and
//! the scorecard against the curated layer.

use egui::{Color32, RichText, Sense, Ui, vec2};

use crate::team::agreement::AgreementReport;

use super::commands::AgreementCommand;
use super::{Command, theme};

/// A figure as shown: three decimals, or "–" where it is undefined.
pub fn figure(x: Option<f64>) -> String {
    crate::wording::figure_or(x, 3, "–")
}

/// The fill of a heatmap cell for a κ value: red at κ ≤ 0, amber at 0.5, green at 1.
pub fn kappa_fill(kappa: f64, dark: bool) -> Color32 {
    let (red, amber, green) = if dark {
        ([150, 55, 50], [140, 110, 40], [40, 125, 75])
    } else {
        ([232, 128, 115], [244, 204, 120], [128, 200, 145])
    };
    let k = kappa.clamp(0.0, 1.0);
    let (from, to, t) = if k < 0.5 {
        (red, amber, k / 0.5)
    } else {
        (amber, green, (k - 0.5) / 0.5)
    };
    let mix = |i: usize| (f64::from(from[i]) + (f64::from(to[i]) - f64::from(from[i])) * t) as u8;
    Color32::from_rgb(mix(0), mix(1), mix(2))
}

/// `index[i][j]`: the report's pair of annotators `i` and `j`, either order.
fn pair_index(report: &AgreementReport) -> Vec<Vec<Option<usize>>> {
    let n = report.annotators.len();
    let mut index = vec![vec![None; n]; n];
    let pos = |name: &str| report.annotators.iter().position(|a| a == name);
    for (k, p) in report.pairs.iter().enumerate() {
        if let (Some(i), Some(j)) = (pos(&p.a), pos(&p.b)) {
            index[i][j] = Some(k);
            index[j][i] = Some(k);
        }
    }
    index
}

/// The κ matrix as painted cells; clicking one opens that pair below.
pub fn heatmap(
    report: &AgreementReport,
    selected: usize,
    ui: &mut Ui,
    commands: &mut Vec<Command>,
) {
    let n = report.annotators.len();
    let dark = ui.visuals().dark_mode;
    let text_color = ui.visuals().text_color();
    let font = egui::TextStyle::Body.resolve(ui.style());
    let small = egui::TextStyle::Small.resolve(ui.style());
    let names: Vec<String> = report
        .annotators
        .iter()
        .enumerate()
        .map(|(i, a)| format!("{} {a}", i + 1))
        .collect();
    let name_w = names
        .iter()
        .map(|s| {
            ui.painter()
                .layout_no_wrap(s.clone(), font.clone(), text_color)
                .size()
                .x
        })
        .fold(0.0_f32, f32::max)
        + 8.0;
    let cell = ((ui.available_width() - name_w) / n as f32).clamp(14.0, 40.0);
    let header = 18.0;
    let (rect, _) = ui.allocate_exact_size(
        vec2(name_w + cell * n as f32, header + cell * n as f32),
        Sense::hover(),
    );
    let painter = ui.painter_at(rect.expand(2.0));
    let index = pair_index(report);
    let outline = theme::selected_outline(ui.visuals());
    for j in 0..n {
        let x = rect.left() + name_w + cell * (j as f32 + 0.5);
        painter.text(
            egui::pos2(x, rect.top() + header / 2.0),
            egui::Align2::CENTER_CENTER,
            (j + 1).to_string(),
            small.clone(),
            theme::weak(ui.visuals()),
        );
    }
    for (i, name) in names.iter().enumerate() {
        let y = rect.top() + header + cell * i as f32;
        painter.text(
            egui::pos2(rect.left(), y + cell / 2.0),
            egui::Align2::LEFT_CENTER,
            name,
            font.clone(),
            text_color,
        );
        for (j, &kappa) in report.kappa_matrix[i].iter().enumerate() {
            let r = egui::Rect::from_min_size(
                egui::pos2(rect.left() + name_w + cell * j as f32, y),
                vec2(cell, cell),
            )
            .shrink(1.0);
            if i == j {
                painter.rect_filled(r, 2.0, ui.visuals().faint_bg_color);
                continue;
            }
            let fill = kappa.map_or(ui.visuals().faint_bg_color, |k| kappa_fill(k, dark));
            painter.rect_filled(r, 2.0, fill);
            let Some(pair) = index[i][j] else { continue };
            if pair == selected {
                painter.rect_stroke(
                    r,
                    2.0,
                    egui::Stroke::new(2.0, outline),
                    egui::StrokeKind::Inside,
                );
            }
            if cell >= 30.0 {
                painter.text(
                    r.center(),
                    egui::Align2::CENTER_CENTER,
                    crate::wording::figure_or(kappa, 2, "–"),
                    small.clone(),
                    theme::text_on(fill),
                );
            }
            let (a, b) = (&report.annotators[i], &report.annotators[j]);
            let label = format!(
                "{a} × {b}: κ {}",
                crate::wording::figure_or(kappa, 2, "undefined")
            );
            let resp = ui
                .interact(r, ui.scope_id().with(("kappa cell", i, j)), Sense::click())
                .on_hover_text(format!(
                    "{a} × {b}: macro κ {} over {} — click for the pair",
                    figure(kappa),
                    crate::wording::plural(report.pairs[pair].documents, "shared document")
                ));
            resp.widget_info(|| {
                egui::WidgetInfo::selected(egui::Role::Button, true, pair == selected, &label)
            });
            if resp.hovered() {
                painter.rect_stroke(
                    r,
                    2.0,
                    egui::Stroke::new(1.5, text_color),
                    egui::StrokeKind::Inside,
                );
            }
            if resp.clicked() {
                commands.push(Command::Agreement(AgreementCommand::OpenPair(pair)));
            }
        }
    }
    ui.label(
        RichText::new("Macro κ over tags: red ≤ 0, amber 0.5, green 1; grey = undefined. Click a cell for the pair.")
            .small()
            .color(theme::weak(ui.visuals())),
    );
}

/// Each annotator's mean κ against the others, lowest first.
pub fn means(report: &AgreementReport, ui: &mut Ui) {
    ui.label(RichText::new("Mean κ against the others").strong());
    table(
        ui,
        "annotator means",
        [12.0, 2.0],
        &["annotator", "mean κ", "pairs"],
        |ui| {
            for m in &report.annotator_means {
                ui.label(&m.annotator);
                let text = RichText::new(figure(m.mean_kappa));
                let dark = ui.visuals().dark_mode;
                ui.label(match m.mean_kappa {
                    Some(k) => text
                        .background_color(kappa_fill(k, dark))
                        .color(theme::text_on(kappa_fill(k, dark))),
                    None => text,
                })
                .on_hover_text(format!(
                    "Mean of {}'s macro κ with each other annotator",
                    m.annotator
                ));
                ui.label(m.pairs.to_string());
                ui.end_row();
            }
        },
    );
    ui.label(
        RichText::new("Lowest first")
            .small()
            .color(theme::weak(ui.visuals())),
    );
}

/// Each annotator's precision, recall and F1 (exact) per tag against the curated layer.
pub fn scorecard(report: &AgreementReport, ui: &mut Ui) {
    let card = &report.scorecard;
    ui.label(
        RichText::new(format!(
            "Scorecard against the curated layer ({})",
            crate::wording::plural(card.documents, "document")
        ))
        .strong(),
    );
    if card.documents == 0 {
        ui.label(
            RichText::new("No document has a curated layer yet: review one to get a scorecard.")
                .color(theme::weak(ui.visuals())),
        );
        return;
    }
    ui.label(RichText::new(card.basis()).small())
        .on_hover_text(crate::team::agreement::team_scale::SCORE_RULE);
    egui::ScrollArea::horizontal()
        .id_salt("scorecard scroll")
        .show(ui, |ui| {
            egui::Grid::new("scorecard")
                .striped(true)
                .spacing([10.0, 2.0])
                .show(ui, |ui| {
                    ui.label("");
                    ui.label("");
                    for t in &report.tags {
                        ui.label(RichText::new(t).strong());
                        ui.label("");
                        ui.label("");
                    }
                    ui.label("");
                    ui.end_row();
                    ui.label(RichText::new("annotator").strong());
                    ui.label(RichText::new("docs").strong());
                    for _ in &report.tags {
                        for h in ["P", "R", "F1"] {
                            ui.label(RichText::new(h).strong());
                        }
                    }
                    ui.label(RichText::new("macro F1").strong());
                    ui.end_row();
                    for a in &card.annotators {
                        ui.label(&a.annotator);
                        ui.label(a.documents.to_string());
                        for t in &a.tags {
                            let e = &t.exact;
                            let two = |x: Option<f64>| crate::wording::figure_or(x, 2, "–");
                            ui.label(two(e.precision)).on_hover_text(format!(
                                "{}, {}: {} of {}'s {} spans are in the curated layer",
                                a.annotator, t.tag, e.matched, a.annotator, e.annotator_spans
                            ));
                            ui.label(two(e.recall)).on_hover_text(format!(
                                "{}, {}: {} of the {} curated spans found",
                                a.annotator, t.tag, e.matched, e.curated_spans
                            ));
                            ui.label(two(e.f1));
                        }
                        ui.label(figure(a.macro_exact_f1));
                        ui.end_row();
                    }
                });
        });
    ui.label(
        RichText::new(
            "Exact match of range and tag; the curated layer is the reference; – = undefined",
        )
        .small()
        .color(theme::weak(ui.visuals())),
    );
}

/// A striped table whose first row is `headers` in bold; `rows` adds the rest.
pub(super) fn table(
    ui: &mut Ui,
    id: &str,
    spacing: [f32; 2],
    headers: &[&str],
    rows: impl FnOnce(&mut Ui),
) {
    egui::Grid::new(id)
        .striped(true)
        .spacing(spacing)
        .show(ui, |ui| {
            for h in headers {
                ui.label(RichText::new(*h).strong());
            }
            ui.end_row();
            rows(ui);
        });
}
