//! Import: brings spans made by other tools (brat, doccano, Prodigy, Marginalia's own exports)
//! into an annotator's layer.
