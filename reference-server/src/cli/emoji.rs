//! `woolly emoji add|remove|list|import`: the instance's custom emoji, whether the server
//! runs or not (through [`super::admin::perform_all`], like the other admin commands).
//!
//! `import` takes a folder or a `.tar.gz` pack (as `tootctl emoji import` does): every
//! `.png`, `.gif` and `.webp` file in it (at any depth; hidden files skipped) becomes the
//! emoji named by its file name without the extension; an emoji that exists already is
//! skipped. Each image is read up to the 256 KB limit plus one byte, so an oversized file is
//! reported without being read whole.

use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use clap::Subcommand;
use serde_json::Value;

use super::admin::{perform_all, run as run_op};
use super::serve::ConfigArgs;
use crate::app::emoji::MAX_EMOJI_BYTES;
use crate::error::Error;
use crate::http::admin::AdminRequest;

/// The most files `import` takes from one folder or pack.
pub const MAX_IMPORT_FILES: usize = 10_000;

/// `woolly emoji …`
#[derive(Debug, Subcommand)]
pub enum EmojiCommand {
    /// Adds a custom emoji from a PNG, GIF or WebP image (at most 256 KB).
    Add {
        /// The shortcode (letters, digits and `_`, at least two).
        shortcode: String,
        /// The image file.
        file: PathBuf,
        /// The picker category.
        #[arg(long)]
        category: Option<String>,
        /// Replace the image of an existing emoji.
        #[arg(long)]
        replace: bool,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
    /// Removes a custom emoji.
    Remove {
        /// The shortcode.
        shortcode: String,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
    /// Lists the custom emoji.
    List {
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
    /// Imports every PNG, GIF and WebP image of a folder or a `.tar.gz` pack; the shortcode
    /// is the file name without its extension; existing emoji are skipped.
    Import {
        /// A folder or a `.tar.gz` file.
        source: PathBuf,
        /// The picker category of the imported emoji.
        #[arg(long)]
        category: Option<String>,
        /// Configuration file and data directory.
        #[command(flatten)]
        common: ConfigArgs,
    },
}

/// Runs `woolly emoji`.
pub fn run(cmd: EmojiCommand) -> i32 {
    match cmd {
        EmojiCommand::Add {
            shortcode,
            file,
            category,
            replace,
            common,
        } => {
            let image = match read_limited(&file) {
                Ok(b) => b,
                Err(e) => {
                    eprintln!("woolly: {}: {e}", file.display());
                    return 1;
                }
            };
            let op = AdminRequest::AddEmoji {
                shortcode,
                category,
                image: base64::engine::general_purpose::STANDARD.encode(image),
                replace,
            };
            run_op(&common, op, |v| {
                println!("added :{}: {}", s(v, "shortcode"), s(v, "url"))
            })
        }
        EmojiCommand::Remove { shortcode, common } => {
            run_op(&common, AdminRequest::RemoveEmoji { shortcode }, |v| {
                if v["removed"].as_bool() == Some(true) {
                    println!("removed :{}:", s(v, "shortcode"));
                } else {
                    println!(":{}: does not exist", s(v, "shortcode"));
                }
            })
        }
        EmojiCommand::List { common } => run_op(&common, AdminRequest::ListEmoji, |v| {
            for e in v.as_array().into_iter().flatten() {
                println!(
                    ":{}:\t{}\t{}",
                    s(e, "shortcode"),
                    e["category"].as_str().unwrap_or("-"),
                    s(e, "url")
                );
            }
        }),
        EmojiCommand::Import {
            source,
            category,
            common,
        } => import(&common, &source, category),
    }
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// An image to import: its shortcode, where it came from, and its bytes (or why it could
/// not be read).
struct Candidate {
    shortcode: String,
    origin: String,
    bytes: Result<Vec<u8>, String>,
}

fn import(common: &ConfigArgs, source: &Path, category: Option<String>) -> i32 {
    let found = if source.is_dir() {
        from_dir(source)
    } else {
        from_tar_gz(source)
    };
    let found = match found {
        Ok(f) => f,
        Err(e) => {
            eprintln!("woolly: {}: {e}", source.display());
            return 1;
        }
    };
    if found.is_empty() {
        eprintln!("woolly: {}: no .png, .gif or .webp files", source.display());
        return 1;
    }
    let mut failed = 0usize;
    let mut ops = Vec::new();
    let mut sent = Vec::new();
    for c in found {
        match c.bytes {
            Ok(bytes) => {
                ops.push(AdminRequest::AddEmoji {
                    shortcode: c.shortcode.clone(),
                    category: category.clone(),
                    image: base64::engine::general_purpose::STANDARD.encode(bytes),
                    replace: false,
                });
                sent.push((c.shortcode, c.origin));
            }
            Err(e) => {
                eprintln!("woolly: {}: {e}", c.origin);
                failed += 1;
            }
        }
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("woolly: cannot start the runtime: {e}");
            return 1;
        }
    };
    let results = match rt.block_on(perform_all(common, ops)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("woolly: {e}");
            return 1;
        }
    };
    let (mut added, mut skipped) = (0usize, 0usize);
    for ((shortcode, origin), r) in sent.iter().zip(results) {
        match r {
            Ok(_) => {
                println!("added :{shortcode}:");
                added += 1;
            }
            Err(e) if e.to_string().contains("already exists") => {
                println!("skipped :{shortcode}: (it exists)");
                skipped += 1;
            }
            Err(e) => {
                eprintln!("woolly: {origin}: {e}");
                failed += 1;
            }
        }
    }
    println!("{added} added, {skipped} skipped, {failed} failed");
    i32::from(failed > 0)
}

/// The shortcode of an importable file name: its stem, for a `.png`, `.gif` or `.webp`
/// name that is not hidden (`None` for any other file).
fn shortcode_of(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next()?;
    if base.starts_with('.') {
        return None;
    }
    let (stem, ext) = base.rsplit_once('.')?;
    matches!(ext.to_ascii_lowercase().as_str(), "png" | "gif" | "webp").then(|| stem.to_owned())
}

/// Reads at most the limit plus one byte of `r` (so that an oversized file is refused by
/// the server's check with its real message, without being read whole).
fn read_capped(r: impl Read) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    r.take(MAX_EMOJI_BYTES + 1).read_to_end(&mut out)?;
    Ok(out)
}

fn read_limited(path: &Path) -> Result<Vec<u8>, Error> {
    let f = std::fs::File::open(path)?;
    let bytes = read_capped(f)?;
    if bytes.len() as u64 > MAX_EMOJI_BYTES {
        return Err(Error::Unprocessable(format!(
            "larger than the 256 KB limit for emoji ({MAX_EMOJI_BYTES} bytes)"
        )));
    }
    Ok(bytes)
}

fn candidate(shortcode: String, origin: String, bytes: std::io::Result<Vec<u8>>) -> Candidate {
    let bytes = match bytes {
        Ok(b) if b.len() as u64 > MAX_EMOJI_BYTES => Err(format!(
            "larger than the 256 KB limit for emoji ({MAX_EMOJI_BYTES} bytes)"
        )),
        Ok(b) => Ok(b),
        Err(e) => Err(e.to_string()),
    };
    Candidate {
        shortcode,
        origin,
        bytes,
    }
}

/// The importable files of a folder and its subfolders, by path.
fn from_dir(dir: &Path) -> Result<Vec<Candidate>, Error> {
    let mut paths = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            let path = entry.path();
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() {
                paths.push(path);
            }
            if paths.len() > MAX_IMPORT_FILES {
                return Err(Error::Unprocessable(format!(
                    "more than {MAX_IMPORT_FILES} files"
                )));
            }
        }
    }
    paths.sort();
    Ok(paths
        .into_iter()
        .filter_map(|p| {
            let code = shortcode_of(&p.file_name()?.to_string_lossy())?;
            let bytes = std::fs::File::open(&p).and_then(read_capped);
            Some(candidate(code, p.display().to_string(), bytes))
        })
        .collect())
}

/// The importable files of a `.tar.gz` pack, in archive order.
fn from_tar_gz(path: &Path) -> Result<Vec<Candidate>, Error> {
    let file = std::fs::File::open(path)?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut out = Vec::new();
    for entry in archive.entries()? {
        let entry = entry?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry.path()?.to_string_lossy().into_owned();
        let Some(code) = shortcode_of(&name) else {
            continue;
        };
        if out.len() >= MAX_IMPORT_FILES {
            return Err(Error::Unprocessable(format!(
                "more than {MAX_IMPORT_FILES} files"
            )));
        }
        let bytes = read_capped(entry);
        out.push(candidate(code, format!("{}:{name}", path.display()), bytes));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::shortcode_of;

    #[test]
    fn shortcodes_come_from_image_file_names() {
        assert_eq!(shortcode_of("blobcat.png").as_deref(), Some("blobcat"));
        assert_eq!(
            shortcode_of("pack/blob_cat.GIF").as_deref(),
            Some("blob_cat")
        );
        assert_eq!(shortcode_of("a.webp").as_deref(), Some("a"));
        assert_eq!(shortcode_of("._blobcat.png"), None);
        assert_eq!(shortcode_of("readme.txt"), None);
        assert_eq!(shortcode_of("noext"), None);
    }
}
