//! The egui layer: panels and widgets that draw state and send commands to the core.
