//! The Agreement window: runs [`crate::team::agreement::compute`] on a thread (with progress and
//! cancel, so a large workspace never freezes the window) and shows its report: κ and span F1
//! per pair and tag, α per tag, a bar chart, the confusion matrix and the documents that
//! disagree most, each one click away from review mode.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use egui::{RichText, Ui};

use crate::team::agreement::{AgreementOptions, AgreementReport, PairReport, compute};
use crate::workspace::{CURATED_LAYER, Workspace};

use super::agreement_team_view::{figure, table};
use super::commands::{AgreementCommand, ReviewCommand};
use super::{Command, MarginaliaApp, theme};

enum Message {
    Progress(usize, usize),
    Done(Box<Result<AgreementReport, NotComputed>>),
}

struct Job {
    rx: mpsc::Receiver<Message>,
    cancel: Arc<AtomicBool>,
    done: usize,
    total: usize,
}

/// The Agreement window's state.
#[derive(Default)]
pub struct AgreementView {
    open: bool,
    job: Option<Job>,
    result: Option<Result<AgreementReport, NotComputed>>,
    pair: usize,
    /// Scroll to the chosen pair's figures on the next frame.
    scroll_to_pair: bool,
}

impl AgreementView {
    /// Whether the window is open.
    pub(super) fn is_open(&self) -> bool {
        self.open
    }

    /// The last computed report, if any.
    pub fn report(&self) -> Option<&AgreementReport> {
        self.result.as_ref().and_then(|r| r.as_ref().ok())
    }

    /// The index in the report's pairs of the pair whose figures are shown.
    pub fn selected_pair(&self) -> usize {
        self.pair
    }

    /// Whether a computation is running.
    pub fn is_computing(&self) -> bool {
        self.job.is_some()
    }
}

/// Why there are no figures: the message, and how many annotators were found when fewer than
/// two (a state every workspace starts in, shown as such rather than as an error).
#[derive(Debug, Clone)]
struct NotComputed {
    message: String,
    too_few: Option<usize>,
}

impl From<String> for NotComputed {
    fn from(message: String) -> Self {
        Self {
            message,
            too_few: None,
        }
    }
}

impl From<crate::team::agreement::AgreementError> for NotComputed {
    fn from(e: crate::team::agreement::AgreementError) -> Self {
        let too_few = match e {
            crate::team::agreement::AgreementError::TooFewAnnotators(n) => Some(n),
            _ => None,
        };
        Self {
            message: e.to_string(),
            too_few,
        }
    }
}

fn start_job(root: PathBuf) -> Job {
    let (tx, rx) = mpsc::channel();
    let cancel = Arc::new(AtomicBool::new(false));
    let stop = Arc::clone(&cancel);
    let spawned = std::thread::Builder::new()
        .name("agreement".into())
        .spawn(move || {
            let result = match Workspace::open(&root) {
                Ok(ws) => {
                    let progress = |done: usize, total: usize| {
                        let _ = tx.send(Message::Progress(done, total));
                        !stop.load(Ordering::Relaxed)
                    };
                    compute(&ws, &AgreementOptions::default(), &progress).map_err(NotComputed::from)
                }
                Err(e) => Err(NotComputed::from(e.to_string())),
            };
            let _ = tx.send(Message::Done(Box::new(result)));
        });
    if let Err(e) = spawned {
        let (tx2, rx2) = mpsc::channel();
        let _ = tx2.send(Message::Done(Box::new(Err(NotComputed::from(format!(
            "cannot start: {e}"
        ))))));
        return Job {
            rx: rx2,
            cancel,
            done: 0,
            total: 0,
        };
    }
    Job {
        rx,
        cancel,
        done: 0,
        total: 0,
    }
}

/// Applies one command.
pub fn apply(app: &mut MarginaliaApp, command: AgreementCommand) {
    let view = &mut app.agreement;
    match command {
        AgreementCommand::Toggle => {
            view.open = !view.open;
            if view.open && view.result.is_none() && view.job.is_none() {
                apply(app, AgreementCommand::Compute);
            }
        }
        AgreementCommand::Compute => {
            if view.job.is_some() {
                return;
            }
            let Some(ws) = &app.ws else { return };
            view.job = Some(start_job(ws.root().to_path_buf()));
            view.open = true;
        }
        AgreementCommand::Cancel => {
            if let Some(job) = &view.job {
                job.cancel.store(true, Ordering::Relaxed);
            }
        }
        AgreementCommand::SelectPair(i) => view.pair = i,
        AgreementCommand::OpenPair(i) => {
            view.pair = i;
            view.scroll_to_pair = true;
        }
    }
}

/// Takes what the thread reported (every frame).
pub fn poll(app: &mut MarginaliaApp, ctx: &egui::Context) {
    let view = &mut app.agreement;
    let Some(job) = &mut view.job else { return };
    loop {
        match job.rx.try_recv() {
            Ok(Message::Progress(d, t)) => {
                job.done = d;
                job.total = t;
            }
            Ok(Message::Done(r)) => {
                view.pair = 0;
                view.result = Some(*r);
                view.job = None;
                return;
            }
            Err(mpsc::TryRecvError::Empty) => break,
            Err(mpsc::TryRecvError::Disconnected) => {
                view.result = Some(Err(NotComputed::from("the computation stopped".to_owned())));
                view.job = None;
                return;
            }
        }
    }
    ctx.request_repaint_after(Duration::from_millis(50));
}

/// Draws the Agreement window, if open.
pub fn draw(app: &mut MarginaliaApp, ctx: &egui::Context, commands: &mut Vec<Command>) {
    if !app.agreement.open {
        return;
    }
    let reviewer = app.prefs.annotator.clone();
    let mut open = true;
    let screen = ctx.content_rect();
    egui::Window::new("Agreement")
        .constrain_to(app.window_area(ctx))
        .open(&mut open)
        .default_size([screen.width() * 0.8, screen.height() * 0.8])
        .max_size([screen.width() - 20.0, screen.height() - 40.0])
        .default_pos(screen.min + egui::vec2(screen.width() * 0.1, 40.0))
        .vscroll(true)
        .show(ctx, |ui| body(&mut app.agreement, &reviewer, ui, commands));
    if !open {
        commands.push(Command::Agreement(AgreementCommand::Toggle));
    }
}

fn body(view: &mut AgreementView, reviewer: &str, ui: &mut Ui, commands: &mut Vec<Command>) {
    let weak = theme::weak(ui.visuals());
    ui.horizontal(|ui| {
        if let Some(job) = &view.job {
            let frac = if job.total == 0 {
                0.0
            } else {
                job.done as f32 / job.total as f32
            };
            ui.add(theme::progress_bar(frac).desired_width(240.0).text(format!(
                "{} of {}",
                job.done,
                crate::wording::plural(job.total, "document")
            )));
            if ui.button("Cancel").clicked() {
                commands.push(Command::Agreement(AgreementCommand::Cancel));
            }
        } else if ui
            .button("Recompute")
            .on_hover_text("Read the annotation files again and recompute")
            .clicked()
        {
            commands.push(Command::Agreement(AgreementCommand::Compute));
        }
        ui.label(
            RichText::new(
                "κ and α on non-whitespace characters; F1 on spans (see docs/AGREEMENT.md)",
            )
            .small()
            .color(weak),
        );
    });
    let report = match &view.result {
        None => {
            if view.job.is_none() {
                ui.label("Not computed yet.");
            }
            return;
        }
        // Fewer than two annotators is where every workspace starts, not an error: say what
        // agreement needs.
        Some(Err(NotComputed {
            too_few: Some(n), ..
        })) => {
            ui.label(format!(
                "Agreement compares the layers of two or more annotators on the same documents; \
                 this workspace has {}.",
                crate::wording::plural(*n, "annotator")
            ));
            ui.label(
                RichText::new(
                    "Each annotator's spans are in annotations/<name>/. Assign documents to \
                     several annotators (see the README's Assignments), or import another \
                     annotator's spans with File → Import…, then Recompute.",
                )
                .small()
                .color(weak),
            );
            return;
        }
        Some(Err(e)) => {
            theme::error_text(ui, format!("Agreement not computed: {}", e.message));
            return;
        }
        Some(Ok(r)) => r,
    };
    let team = report.annotators.len() > 3;
    if team {
        ui.label(format!(
            "{}, {} with two or more layers",
            crate::wording::plural(report.annotators.len(), "annotator"),
            crate::wording::plural(report.documents, "document")
        ));
    } else {
        ui.label(format!(
            "{} ({}), {} with two or more layers",
            crate::wording::plural(report.annotators.len(), "annotator"),
            report.annotators.join(", "),
            crate::wording::plural(report.documents, "document")
        ));
    }
    for w in &report.warnings {
        ui.label(
            RichText::new(format!("Warning: {w}"))
                .small()
                .color(theme::error_color(ui.visuals())),
        );
    }
    if !report.skipped.is_empty() {
        ui.label(
            RichText::new(format!("Skipped: {}", report.skipped_note("below")))
                .color(theme::error_color(ui.visuals())),
        );
        for x in &report.skipped {
            ui.label(RichText::new(format!("Skipped {x}")).small());
        }
    }
    if report.pairs.is_empty() {
        ui.label("No pair of annotators shares a document.");
        return;
    }
    if report.annotators.len() >= 3 {
        ui.add_space(4.0);
        ui.label(RichText::new("Pairwise κ (macro over tags)").strong());
        ui.horizontal_top(|ui| {
            let width = (ui.available_width() - 300.0).max(220.0);
            ui.vertical(|ui| {
                ui.set_max_width(width);
                super::agreement_team_view::heatmap(report, view.pair, ui, commands);
            });
            ui.add_space(24.0);
            ui.vertical(|ui| super::agreement_team_view::means(report, ui));
        });
    }
    if team {
        ui.add_space(8.0);
        all_annotators_alpha(report, ui);
    }
    if team || report.scorecard.documents > 0 {
        ui.add_space(8.0);
        super::agreement_team_view::scorecard(report, ui);
    }
    ui.add_space(8.0);
    ui.separator();
    if team {
        ui.horizontal(|ui| {
            ui.label("Pair:");
            let shown = report
                .pairs
                .get(view.pair)
                .map(|p| format!("{} × {}", p.a, p.b))
                .unwrap_or_default();
            egui::ComboBox::from_id_salt("agreement pair")
                .selected_text(shown)
                .height(400.0)
                .show_ui(ui, |ui| {
                    for (i, p) in report.pairs.iter().enumerate() {
                        if ui
                            .selectable_label(view.pair == i, format!("{} × {}", p.a, p.b))
                            .clicked()
                        {
                            commands.push(Command::Agreement(AgreementCommand::SelectPair(i)));
                        }
                    }
                });
            ui.label(
                RichText::new("or click a cell of the heatmap")
                    .small()
                    .color(weak),
            );
        });
    } else {
        ui.horizontal_wrapped(|ui| {
            ui.label("Pair:");
            for (i, p) in report.pairs.iter().enumerate() {
                if ui
                    .selectable_label(view.pair == i, format!("{} × {}", p.a, p.b))
                    .clicked()
                {
                    commands.push(Command::Agreement(AgreementCommand::SelectPair(i)));
                }
            }
        });
    }
    let Some(pair) = report.pairs.get(view.pair).or(report.pairs.first()) else {
        return;
    };
    let heading = ui.label(
        RichText::new(format!(
            "{} × {}: {}, {} · macro κ {} · macro exact F1 {}",
            pair.a,
            pair.b,
            crate::wording::plural(pair.documents, "document"),
            crate::wording::plural(pair.units, "unit"),
            figure(pair.macro_kappa),
            figure(pair.macro_exact_f1)
        ))
        .strong(),
    );
    if view.scroll_to_pair {
        heading.scroll_to_me(Some(egui::Align::TOP));
        view.scroll_to_pair = false;
    }
    ui.add_space(4.0);
    // The pair's table, and beside it the all-annotator α in its own section.
    let attributes_shown = ui
        .horizontal_top(|ui| {
            ui.vertical(|ui| pair_table(pair, weak, ui));
            ui.add_space(32.0);
            // The attribute table gets a third column when there is room (about 300 px for α,
            // 280 for it); otherwise it goes under the confusion matrix, so a narrow window
            // neither clips it nor pushes the documents out of sight.
            let room = ui.available_width() >= 32.0 + 300.0 + 32.0 + 280.0;
            if !team {
                ui.vertical(|ui| all_annotators_alpha(report, ui));
            }
            if room {
                ui.add_space(32.0);
                ui.vertical(|ui| attribute_table(pair, weak, ui));
            }
            room
        })
        .inner;
    ui.add_space(6.0);
    chart(pair, ui);
    ui.add_space(8.0);
    ui.columns(2, |cols| {
        confusion(pair, &mut cols[0]);
        if !attributes_shown {
            cols[0].add_space(8.0);
            attribute_table(pair, weak, &mut cols[0]);
        }
        // Beside the documents, so that they stay where they were.
        if !pair.relations.is_empty() {
            cols[0].add_space(8.0);
            relation_table(pair, weak, &mut cols[0]);
        }
        disagreeing(pair, reviewer, &mut cols[1], commands);
    });
}

/// The chosen pair's figures per tag.
fn pair_table(pair: &PairReport, weak: egui::Color32, ui: &mut Ui) {
    {
        egui::Grid::new("agreement table")
            .striped(true)
            .num_columns(9)
            .spacing([12.0, 4.0])
            .show(ui, |ui| {
                for h in [
                    "tag",
                    "κ",
                    "α (pair)",
                    "P exact",
                    "R exact",
                    "F1 exact",
                    "F1 overlap",
                    "A spans",
                    "B spans",
                ] {
                    ui.label(RichText::new(h).strong());
                }
                ui.end_row();
                for t in &pair.tags {
                    ui.label(&t.tag);
                    ui.label(figure(t.kappa)).on_hover_text(format!(
                        "Cohen's κ of {} between {} and {}",
                        t.tag, pair.a, pair.b
                    ));
                    ui.label(figure(t.alpha)).on_hover_text(format!(
                        "Krippendorff's α (nominal) of {} between {} and {}",
                        t.tag, pair.a, pair.b
                    ));
                    ui.label(figure(t.exact.precision));
                    ui.label(figure(t.exact.recall));
                    ui.label(figure(t.exact.f1));
                    ui.label(figure(t.overlap.f1));
                    ui.label(t.exact.a_spans.to_string());
                    ui.label(t.exact.b_spans.to_string());
                    ui.end_row();
                }
            });
        ui.label(
            RichText::new("P and R take A as the reference; – = undefined")
                .small()
                .color(weak),
        );
    }
}

/// The chosen pair's relation figures per relation type (shown under the confusion matrix when
/// either made a relation).
fn relation_table(pair: &PairReport, weak: egui::Color32, ui: &mut Ui) {
    egui::Grid::new("agreement relations")
        .striped(true)
        .num_columns(6)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            for h in [
                "relation",
                "P exact",
                "R exact",
                "F1 exact",
                "F1 overlap",
                "A / B",
            ] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for r in &pair.relations {
                ui.label(&r.kind);
                ui.label(figure(r.exact.precision));
                ui.label(figure(r.exact.recall));
                ui.label(figure(r.exact.f1));
                ui.label(figure(r.overlap.f1));
                ui.label(format!("{} / {}", r.exact.a_relations, r.exact.b_relations));
                ui.end_row();
            }
        });
    ui.label(
        RichText::new(
            "Relations match by type and both ends' ranges (overlap: each end overlaps); \
             a symmetric type either way round",
        )
        .small()
        .color(weak),
    );
}

fn chart(pair: &crate::team::agreement::PairReport, ui: &mut Ui) {
    use egui_plot::{Bar, BarChart, Legend, Plot};
    let names: Vec<String> = pair.tags.iter().map(|t| t.tag.clone()).collect();
    let kappa: Vec<Bar> = pair
        .tags
        .iter()
        .enumerate()
        .map(|(i, t)| {
            Bar::new(i as f64 - 0.18, t.kappa.unwrap_or(0.0))
                .width(0.34)
                .name(&t.tag)
        })
        .collect();
    let f1: Vec<Bar> = pair
        .tags
        .iter()
        .enumerate()
        .map(|(i, t)| {
            Bar::new(i as f64 + 0.18, t.exact.f1.unwrap_or(0.0))
                .width(0.34)
                .name(&t.tag)
        })
        .collect();
    let dark = ui.visuals().dark_mode;
    let (c1, c2) = if dark {
        (
            egui::Color32::from_rgb(110, 170, 255),
            egui::Color32::from_rgb(255, 180, 90),
        )
    } else {
        (
            egui::Color32::from_rgb(40, 100, 200),
            egui::Color32::from_rgb(210, 120, 20),
        )
    };
    Plot::new("agreement chart")
        .height(200.0)
        .width(520.0_f32.min(ui.available_width()))
        .legend(Legend::default())
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .include_y(0.0)
        .include_y(1.0)
        .x_axis_formatter(move |mark, _| {
            let i = mark.value.round();
            if (mark.value - i).abs() < 1e-6 && i >= 0.0 {
                names.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .show(ui, |plot| {
            plot.bar_chart(BarChart::new("κ", kappa).color(c1));
            plot.bar_chart(BarChart::new("exact F1", f1).color(c2));
        });
}

fn confusion(pair: &crate::team::agreement::PairReport, ui: &mut Ui) {
    ui.label(
        RichText::new(format!(
            "Tag confusion (same-range spans; rows {}, columns {})",
            pair.a, pair.b
        ))
        .strong(),
    );
    let c = &pair.confusion;
    egui::Grid::new("confusion")
        .striped(true)
        .spacing([10.0, 3.0])
        .show(ui, |ui| {
            ui.label("");
            for l in &c.labels {
                ui.label(RichText::new(l).strong());
            }
            ui.end_row();
            for (i, row) in c.counts.iter().enumerate() {
                ui.label(RichText::new(c.labels.get(i).map_or("", |s| s.as_str())).strong());
                for (j, n) in row.iter().enumerate() {
                    let text = RichText::new(n.to_string());
                    ui.label(if i == j || *n == 0 {
                        text
                    } else {
                        text.strong().color(theme::error_color(ui.visuals()))
                    });
                }
                ui.end_row();
            }
        });
}

/// The chosen pair's κ per choice or flag attribute, over matched spans both gave a value.
fn attribute_table(pair: &PairReport, weak: egui::Color32, ui: &mut Ui) {
    if pair.attributes.is_empty() {
        return;
    }
    ui.label(RichText::new("Attribute values on matched spans").strong());
    table(
        ui,
        "attribute agreement",
        [12.0, 3.0],
        &["attribute", "κ", "agree", "matched"],
        |ui| {
            for at in &pair.attributes {
                let name = format!("{}.{}", at.tag, at.attribute);
                ui.label(&name);
                let kappa = crate::wording::figure_or(at.kappa, 3, "n/a");
                ui.label(kappa).on_hover_text(format!(
                "Cohen's κ of {name} between {} and {}, over the {} matched spans both gave a value",
                pair.a, pair.b, at.matched
            ));
                ui.label(figure(at.observed_agreement))
                    .on_hover_text("Share of those spans with the same value");
                ui.label(at.matched.to_string());
                ui.end_row();
            }
        },
    );
    ui.label(
        RichText::new("Spans matched as for F1 overlap; n/a = undefined")
            .small()
            .color(weak),
    );
}

/// Krippendorff's α over every annotator, apart from the chosen pair's figures.
fn all_annotators_alpha(report: &AgreementReport, ui: &mut Ui) {
    let heading = if report.annotators.len() > 3 {
        format!(
            "Krippendorff's α and Fleiss' κ, all {} annotators",
            report.annotators.len()
        )
    } else {
        format!(
            "Krippendorff's α, all annotators ({})",
            report.annotators.join(", ")
        )
    };
    ui.label(RichText::new(heading).strong());
    table(
        ui,
        "all-annotator alpha",
        [12.0, 3.0],
        &["tag", "α (all)", "units", "Fleiss κ", "units"],
        |ui| {
            for (a, f) in report.alpha.iter().zip(&report.fleiss) {
                ui.label(&a.tag);
                ui.label(figure(a.alpha))
                    .on_hover_text("Krippendorff's α (nominal) across all annotators");
                ui.label(a.units.to_string());
                ui.label(figure(f.kappa)).on_hover_text(format!(
                    "Fleiss' κ across all annotators, over the {} every annotator has",
                    crate::wording::plural(report.fleiss_documents, "document")
                ));
                ui.label(f.units.to_string());
                ui.end_row();
            }
        },
    );
}

/// The documents the chosen pair disagrees on most.
fn disagreeing(pair: &PairReport, reviewer: &str, ui: &mut Ui, commands: &mut Vec<Command>) {
    ui.label(RichText::new("Documents that disagree most").strong());
    ui.label(
        RichText::new(format!(
            "Between {} and {}. Click one to review it with them.",
            pair.a, pair.b
        ))
        .small()
        .color(theme::weak(ui.visuals())),
    );
    table(
        ui,
        "disagreeing documents",
        [10.0, 3.0],
        &["document", "disagreement", "unmatched spans"],
        |ui| {
            for d in pair.documents_by_disagreement.iter().take(10) {
                let layers: Vec<&String> = d
                    .annotators
                    .iter()
                    .filter(|a| a.as_str() != reviewer && a.as_str() != CURATED_LAYER)
                    .take(2)
                    .collect();
                let name = d.text.rsplit('/').next().unwrap_or(&d.text);
                let r = ui
                    .add_enabled(
                        !layers.is_empty(),
                        egui::Button::new(format!("review {name}")).small(),
                    )
                    .on_hover_text(format!(
                        "Review {} ({})",
                        d.text,
                        layers
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(" × ")
                    ))
                    .on_disabled_hover_text(
                        "You annotated it yourself; choose another annotator name to review it",
                    );
                if r.clicked()
                    && let Some(a) = layers.first()
                {
                    commands.push(Command::Review(ReviewCommand::Start {
                        rel: d.text.clone(),
                        a: (*a).clone(),
                        b: layers.get(1).map(|s| (*s).clone()),
                    }));
                    commands.push(Command::Agreement(AgreementCommand::Toggle));
                }
                ui.label(format!("{}%", crate::wording::figure(d.score * 100.0, 1)));
                ui.label(d.unmatched_spans.to_string());
                ui.end_row();
            }
        },
    );
}
