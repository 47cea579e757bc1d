//! The compact text form of an architecture, for people: `G3(qk32,f4) L3(k31,e2,f4)
//! M1/2(qk64,k31,e4,f6)`.
//!
//! One token per block, separated by spaces. `G` marks an all-global block, `L` an all-local
//! one, `M g/l` a mixed one with g global and l local heads. Inside the parentheses: `qk` q/k/v
//! width per head, `k` kernel, `e` conv expansion, `f` FFN ratio. The form parses back
//! ([`str::parse`]), so it can be typed on the command line.

use std::fmt;
use std::str::FromStr;

use super::arch::{Arch, BlockArch};
use crate::error::{Error, Result};

impl fmt::Display for BlockArch {
    /// A block alone does not know the model's head count, so it prints its global heads only:
    /// `g1(qk64,k31,e4,f6)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "g{}{}", self.global_heads, values(self))
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, block) in self.blocks.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            let local = block.local_heads(self.heads);
            let kind = match (block.global_heads, local) {
                (g, 0) => format!("G{g}"),
                (0, l) => format!("L{l}"),
                (g, l) => format!("M{g}/{l}"),
            };
            write!(f, "{kind}{}", values(block))?;
        }
        Ok(())
    }
}

/// `(qk32,k31,e2,f4)`, listing only the values the block holds.
fn values(block: &BlockArch) -> String {
    let mut parts = Vec::new();
    if let Some(q) = block.qk_dim {
        parts.push(format!("qk{q}"));
    }
    if let Some(k) = block.kernel {
        parts.push(format!("k{k}"));
    }
    if let Some(e) = block.conv_expand {
        parts.push(format!("e{e}"));
    }
    parts.push(format!("f{}", block.ffn_ratio));
    format!("({})", parts.join(","))
}

impl FromStr for Arch {
    type Err = Error;

    fn from_str(text: &str) -> Result<Arch> {
        let mut heads = None;
        let mut blocks = Vec::new();
        for (index, token) in text.split_whitespace().enumerate() {
            let (block, block_heads) =
                parse_block(token).map_err(|message| Error::InvalidValue {
                    key: "architecture".into(),
                    message: format!("block {index} `{token}`: {message}"),
                })?;
            match heads {
                Some(h) if h != block_heads => {
                    return Err(Error::InvalidValue {
                        key: "architecture".into(),
                        message: format!(
                            "block {index} `{token}` has {block_heads} heads, earlier blocks {h}"
                        ),
                    })
                }
                _ => heads = Some(block_heads),
            }
            blocks.push(block);
        }
        let heads = heads.ok_or_else(|| Error::InvalidValue {
            key: "architecture".into(),
            message: "no blocks (expected tokens such as `G3(qk64,f4)`)".into(),
        })?;
        Ok(Arch { heads, blocks })
    }
}

/// One block token and its total head count.
fn parse_block(token: &str) -> std::result::Result<(BlockArch, usize), String> {
    let open = token.find('(').ok_or("missing `(`")?;
    let inner = token[open + 1..]
        .strip_suffix(')')
        .ok_or("missing `)` at the end")?;
    let kind = &token[..open];
    let number = |s: &str| {
        s.parse::<usize>()
            .map_err(|_| format!("`{s}` is not a whole number"))
    };
    let (global, local) = if let Some(n) = kind.strip_prefix('G') {
        (number(n)?, 0)
    } else if let Some(n) = kind.strip_prefix('L') {
        (0, number(n)?)
    } else if let Some(split) = kind.strip_prefix('M') {
        let (g, l) = split
            .split_once('/')
            .ok_or("a mixed block reads `M<global>/<local>`")?;
        (number(g)?, number(l)?)
    } else {
        return Err("a block starts with G, L or M".into());
    };
    let mut block = BlockArch {
        global_heads: global,
        qk_dim: None,
        ffn_ratio: 0,
        conv_expand: None,
        kernel: None,
    };
    let mut ffn = None;
    for part in inner.split(',').filter(|p| !p.is_empty()) {
        let digits = part
            .find(|c: char| c.is_ascii_digit())
            .ok_or_else(|| format!("`{part}` has no value"))?;
        let (key, value) = part.split_at(digits);
        let value = number(value)?;
        match key {
            "qk" => block.qk_dim = Some(value),
            "k" => block.kernel = Some(value),
            "e" => block.conv_expand = Some(value),
            "f" => ffn = Some(value),
            other => return Err(format!("unknown key `{other}` (known: qk, k, e, f)")),
        }
    }
    block.ffn_ratio = ffn.ok_or("missing the FFN ratio `f`")?;
    let heads = global
        .checked_add(local)
        .ok_or_else(|| format!("{global} + {local} heads is too many"))?;
    Ok((block, heads))
}
