//! Painting for the frame bench: egui_glow, the painter the window uses, on an OpenGL context
//! made headless through an EGL device (Mesa's software device needs no display and no GPU),
//! drawing into an offscreen framebuffer the size of the bench's window.

use std::sync::Arc;

use glow::HasContext as _;
use glutin::api::egl::context::PossiblyCurrentContext;
use glutin::api::egl::{device::Device, display::Display};
use glutin::config::{ConfigSurfaceTypes, ConfigTemplateBuilder};
use glutin::context::ContextAttributesBuilder;
use glutin::display::GlDisplay as _;

/// A headless OpenGL painter with its own framebuffer.
pub struct GlPainter {
    painter: egui_glow::Painter,
    gl: Arc<glow::Context>,
    size: [u32; 2],
    /// What the context says it renders with (e.g. "llvmpipe (LLVM 19.1.7, 256 bits)").
    pub renderer: String,
    _context: PossiblyCurrentContext,
}

impl GlPainter {
    /// Makes the context and a framebuffer of `size` pixels, or says why it cannot.
    pub fn new(size: [u32; 2]) -> Result<Self, String> {
        let device = Device::query_devices()
            .map_err(|e| format!("no EGL devices: {e}"))?
            .next()
            .ok_or("no EGL device")?;
        // SAFETY: no native display is passed; the device outlives the call.
        let display = unsafe { Display::with_device(&device, None) }
            .map_err(|e| format!("EGL display: {e}"))?;
        let template = ConfigTemplateBuilder::new()
            .with_surface_type(ConfigSurfaceTypes::empty())
            .build();
        // SAFETY: the template is complete; the display is valid.
        let config = unsafe { display.find_configs(template) }
            .map_err(|e| format!("EGL configs: {e}"))?
            .next()
            .ok_or("no EGL config without a surface")?;
        // SAFETY: the config comes from this display; no window is involved.
        let context = unsafe {
            display.create_context(&config, &ContextAttributesBuilder::new().build(None))
        }
        .map_err(|e| format!("OpenGL context: {e}"))?
        .make_current_surfaceless()
        .map_err(|e| format!("make the context current: {e}"))?;
        // SAFETY: the context is current on this thread, and the loader is the display's.
        let gl = Arc::new(unsafe {
            glow::Context::from_loader_function_cstr(|s| display.get_proc_address(s).cast())
        });
        let [w, h] = size;
        // SAFETY: plain GL calls on the current context, with objects it just made.
        let renderer = unsafe {
            let fbo = gl.create_framebuffer()?;
            gl.bind_framebuffer(glow::FRAMEBUFFER, Some(fbo));
            let rb = gl.create_renderbuffer()?;
            gl.bind_renderbuffer(glow::RENDERBUFFER, Some(rb));
            gl.renderbuffer_storage(glow::RENDERBUFFER, glow::RGBA8, w as i32, h as i32);
            gl.framebuffer_renderbuffer(
                glow::FRAMEBUFFER,
                glow::COLOR_ATTACHMENT0,
                glow::RENDERBUFFER,
                Some(rb),
            );
            if gl.check_framebuffer_status(glow::FRAMEBUFFER) != glow::FRAMEBUFFER_COMPLETE {
                return Err("the offscreen framebuffer is incomplete".into());
            }
            gl.get_parameter_string(glow::RENDERER)
        };
        let painter = egui_glow::Painter::new(Arc::clone(&gl), "", None, false)
            .map_err(|e| format!("egui_glow: {e}"))?;
        Ok(Self {
            painter,
            gl,
            size,
            renderer,
            _context: context,
        })
    }

    /// Clears to `clear`, uploads the frame's texture changes, draws its meshes, and waits until the
    /// rasteriser has finished them (a software renderer does the work only then).
    pub fn paint(
        &mut self,
        prims: &[egui::ClippedPrimitive],
        textures: &mut egui::TexturesDelta,
        pixels_per_point: f32,
        clear: [f32; 4],
    ) {
        self.painter.clear(self.size, clear);
        self.painter
            .paint_and_update_textures(self.size, pixels_per_point, prims, textures);
        // SAFETY: the context is current on this thread.
        unsafe { self.gl.finish() };
    }
}

impl Drop for GlPainter {
    fn drop(&mut self) {
        self.painter.destroy();
    }
}
