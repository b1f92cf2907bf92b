//! refdiff decides Biscuit cases with the reference implementation
//! (biscuit-auth, pinned in Cargo.toml), for Codios's differential test.
//!
//! It reads one JSON case per line on stdin and writes one JSON decision
//! per line on stdout. A case either describes a token (root key, authority
//! source, blocks, each first-party or signed by a third-party key), which
//! is minted, attenuated and authorized here, or gives a token's bytes,
//! minted elsewhere, which are verified with the root key and authorized.
//! Errors are decisions too: the output names their kind and stage.

use std::io::{self, BufRead, Write};
use std::time::Duration;

use biscuit_auth::builder::Algorithm;
use biscuit_auth::error::{FailedCheck, Logic, MatchedPolicy, Token as TokenError};
use biscuit_auth::{
    AuthorizerBuilder, AuthorizerLimits, Biscuit, BlockBuilder, KeyPair, PrivateKey,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Deserialize)]
struct Case {
    /// The root private key, ed25519, hex.
    root: String,
    #[serde(default)]
    authority: String,
    #[serde(default)]
    blocks: Vec<BlockCase>,
    authorizer: String,
    /// The request's time, RFC 3339, added as time(...); empty for none.
    #[serde(default)]
    time: String,
    /// A serialized token, hex: decided instead of minting one.
    #[serde(default)]
    token: Option<String>,
    /// The run limits, the same as the Go side's.
    max_facts: u64,
    max_iterations: u64,
    max_time_ms: u64,
}

#[derive(Deserialize)]
struct BlockCase {
    source: String,
    /// The third-party signer's private key, hex; null for a first-party block.
    #[serde(default)]
    key: Option<String>,
}

#[derive(Serialize, Default)]
struct Decision {
    outcome: &'static str,
    policy: Option<usize>,
    policy_kind: Option<&'static str>,
    checks: Vec<Value>,
    error: Option<&'static str>,
    stage: Option<String>,
    detail: Option<String>,
    token: Option<String>,
}

fn main() {
    // A panic is reported as a decision; its message on stderr is noise.
    std::panic::set_hook(Box::new(|_| {}));
    let stdin = io::stdin();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    for line in stdin.lock().lines() {
        let line = line.expect("reading stdin");
        if line.trim().is_empty() {
            continue;
        }
        let d = match serde_json::from_str::<Case>(&line) {
            // A panic of the reference is a decision too: its own bug.
            Ok(c) => std::panic::catch_unwind(|| decide(&c)).unwrap_or_else(|p| Decision {
                outcome: "error",
                error: Some("panic"),
                detail: p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())),
                ..Default::default()
            }),
            Err(e) => Decision {
                outcome: "error",
                error: Some("input"),
                detail: Some(e.to_string()),
                ..Default::default()
            },
        };
        serde_json::to_writer(&mut out, &d).expect("writing stdout");
        out.write_all(b"\n").expect("writing stdout");
        out.flush().expect("writing stdout");
    }
}

fn failure(stage: &str, e: &TokenError) -> Decision {
    Decision {
        outcome: "error",
        error: Some(kind(e)),
        stage: Some(stage.to_string()),
        detail: Some(format!("{e:?}")),
        ..Default::default()
    }
}

fn kind(e: &TokenError) -> &'static str {
    match e {
        TokenError::Language(_) => "parse",
        TokenError::RunLimit(_) => "limit",
        TokenError::Execution(_) => "execution",
        TokenError::FailedLogic(Logic::InvalidBlockRule(..)) => "execution",
        TokenError::Format(_) | TokenError::Base64(_) => "format",
        _ => "other",
    }
}

fn decide(c: &Case) -> Decision {
    let root = match PrivateKey::from_bytes_hex(&c.root, Algorithm::Ed25519) {
        Ok(k) => KeyPair::from(&k),
        Err(e) => return failure("root", &TokenError::Format(e)),
    };
    let (token, minted) = match &c.token {
        Some(h) => {
            let bytes = match hex::decode(h) {
                Ok(b) => b,
                Err(e) => {
                    return Decision {
                        outcome: "error",
                        error: Some("input"),
                        detail: Some(e.to_string()),
                        ..Default::default()
                    }
                }
            };
            match Biscuit::from(&bytes, root.public()) {
                Ok(t) => (t, false),
                Err(e) => return failure("token", &e),
            }
        }
        None => match mint(c, &root) {
            Ok(t) => (t, true),
            Err(d) => return d,
        },
    };
    let mut d = authorize(c, &token);
    if minted {
        d.token = token.to_vec().ok().map(hex::encode);
    }
    d
}

fn mint(c: &Case, root: &KeyPair) -> Result<Biscuit, Decision> {
    let mut token = Biscuit::builder()
        .code(&c.authority)
        .and_then(|b| b.build(root))
        .map_err(|e| failure("block 0", &e))?;
    for (i, b) in c.blocks.iter().enumerate() {
        let stage = format!("block {}", i + 1);
        let block = BlockBuilder::new()
            .code(&b.source)
            .map_err(|e| failure(&stage, &e))?;
        token = match &b.key {
            None => token.append(block),
            Some(h) => {
                let key = PrivateKey::from_bytes_hex(h, Algorithm::Ed25519)
                    .map_err(|e| failure(&stage, &TokenError::Format(e)))?;
                let signer = KeyPair::from(&key);
                token
                    .third_party_request()
                    .and_then(|r| r.create_block(&key, block))
                    .and_then(|tp| token.append_third_party(signer.public(), tp))
            }
        }
        .map_err(|e| failure(&stage, &e))?;
    }
    Ok(token)
}

fn authorize(c: &Case, token: &Biscuit) -> Decision {
    let limits = AuthorizerLimits {
        max_facts: c.max_facts,
        max_iterations: c.max_iterations,
        max_time: Duration::from_millis(c.max_time_ms),
    };
    let mut builder = match AuthorizerBuilder::new().code(&c.authorizer) {
        Ok(b) => b.set_limits(limits),
        Err(e) => return failure("authorizer", &e),
    };
    if !c.time.is_empty() {
        builder = match builder.code(format!("time({});", c.time)) {
            Ok(b) => b,
            Err(e) => return failure("time", &e),
        };
    }
    let mut authorizer = match builder.build(token) {
        Ok(a) => a,
        Err(e) => return failure("authorize", &e),
    };
    match authorizer.authorize() {
        Ok(i) => Decision {
            outcome: "allow",
            policy: Some(i),
            policy_kind: Some("allow"),
            ..Default::default()
        },
        Err(TokenError::FailedLogic(Logic::Unauthorized { policy, checks })) => {
            let (i, k) = match policy {
                MatchedPolicy::Allow(i) => (i, "allow"),
                MatchedPolicy::Deny(i) => (i, "deny"),
            };
            Decision {
                outcome: "deny",
                policy: Some(i),
                policy_kind: Some(k),
                checks: failed(&checks),
                ..Default::default()
            }
        }
        Err(TokenError::FailedLogic(Logic::NoMatchingPolicy { checks })) => Decision {
            outcome: "deny",
            checks: failed(&checks),
            ..Default::default()
        },
        Err(e) => failure("authorize", &e),
    }
}

fn failed(checks: &[FailedCheck]) -> Vec<Value> {
    checks
        .iter()
        .map(|c| match c {
            FailedCheck::Block(b) => json!({"block": b.block_id, "index": b.check_id}),
            FailedCheck::Authorizer(a) => json!({"block": "authorizer", "index": a.check_id}),
        })
        .collect()
}
