//! `warroom snapshot`: one moment of a fixture drawn to a .txt, .svg or .png file.

use crate::cli::SnapshotArgs;
use crate::mode::parse_at;
use crate::shell::{fixtures, snapshot};
use color_eyre::eyre::{bail, eyre};
use color_eyre::Result;

pub(super) fn parse_size(s: &str) -> Result<(u16, u16)> {
    let (c, r) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| eyre!("--size {s:?}: use COLSxROWS, e.g. 120x40"))?;
    let (c, r): (u16, u16) = (c.parse()?, r.parse()?);
    if !(20..=500).contains(&c) || !(8..=300).contains(&r) {
        bail!("--size {s:?}: out of range (20x8 to 500x300)");
    }
    Ok((c, r))
}

pub(super) fn snapshot_cmd(args: &SnapshotArgs) -> Result<i32> {
    let look = super::look(&args.look)?;
    let (cols, rows) = parse_size(&args.size)?;
    let at = parse_at(args.at.as_deref())?;
    let app = snapshot::still_at(fixtures::open(&args.file)?, at)?;
    let buf = snapshot::draw(&app, &look, cols, rows)?;
    let light = look.theme.name == "light";
    match args
        .output
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
    {
        "txt" => std::fs::write(&args.output, snapshot::to_text(&buf))?,
        "svg" => std::fs::write(&args.output, snapshot::to_svg(&buf, light))?,
        "png" => snapshot::write_png(&snapshot::to_svg(&buf, light), &args.output)?,
        other => bail!(
            "-o {}: unknown extension {other:?} (use .png, .svg or .txt)",
            args.output.display()
        ),
    }
    Ok(0)
}
