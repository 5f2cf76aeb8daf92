//! Users, roles and API tokens. A token is shown once, when issued; the database keeps only
//! its SHA-256 (a token is 256 random bits, so a fast hash is enough) and a short prefix.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::audit::record;
use crate::error::{is_unique_violation, Error, Result};
use crate::store::{now_ms, Workspace};
use crate::time::timestamp;

/// What a user may do: viewers read, editors also change layers, assessments and notes,
/// admins also manage users and read the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything.
    Viewer,
    /// Reads and changes layers, assessments and notes.
    Editor,
    /// Everything, users and the audit log included.
    Admin,
}

impl Role {
    /// `viewer`, `editor` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    /// Reads a role as users write it.
    pub fn parse(text: &str) -> Result<Role> {
        match text.trim().to_ascii_lowercase().as_str() {
            "viewer" => Ok(Role::Viewer),
            "editor" => Ok(Role::Editor),
            "admin" => Ok(Role::Admin),
            other => Err(Error::Invalid(format!(
                "unknown role {other:?}; roles are viewer, editor and admin"
            ))),
        }
    }
}

/// Who is asking: a user of the workspace, or the local user of a workspace without users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// The user's name (`local` for the local user).
    pub name: String,
    /// Their role.
    pub role: Role,
}

impl Actor {
    /// The local user of a workspace without users (an admin: it is the machine's owner).
    pub fn local() -> Actor {
        Actor {
            name: "local".to_string(),
            role: Role::Admin,
        }
    }

    /// Refuses unless the actor's role is at least `needed`.
    pub fn require(&self, needed: Role, action: &'static str) -> Result<()> {
        if self.role >= needed {
            Ok(())
        } else {
            Err(Error::Forbidden {
                user: self.name.clone(),
                role: self.role.as_str(),
                action,
            })
        }
    }
}

/// A user.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    /// Their name.
    pub name: String,
    /// Their role.
    pub role: Role,
    /// When they were added.
    pub created_at: String,
    /// Who added them.
    pub created_by: String,
    /// Their tokens (never the secrets).
    pub tokens: Vec<TokenInfo>,
}

/// A token as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenInfo {
    /// Its ID.
    pub id: i64,
    /// What it is for.
    pub label: String,
    /// Its first characters, to tell it from others.
    pub prefix: String,
    /// When it was issued.
    pub created_at: String,
}

/// A token just issued: the secret is shown this once.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IssuedToken {
    /// Whose it is.
    pub user: String,
    /// The token as lists show it.
    pub token: TokenInfo,
    /// The secret: `Authorization: Bearer SECRET`. Not kept anywhere.
    pub secret: String,
}

const TOKEN_PREFIX: &str = "adbw_";

/// The SHA-256 of a token, in hex: what the database keeps.
pub(crate) fn token_hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.trim().as_bytes()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn check_name(name: &str) -> Result<&str> {
    let name = name.trim();
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok && name != "local" {
        Ok(name)
    } else {
        Err(Error::Invalid(format!(
            "{name:?} cannot be a user name: 1 to 64 letters, digits, '.', '_', '-' or '@', and not \"local\""
        )))
    }
}

impl Workspace {
    /// Whether any user exists (without one, the workspace is open to the local user only).
    pub async fn has_users(&self) -> Result<bool> {
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&self.pool)
            .await
            .and_then(|r| r.try_get("n"))
            .map_err(|e| Error::from_db("read users", e))?;
        Ok(n > 0)
    }

    /// Adds a user.
    pub async fn add_user(&self, actor: &Actor, name: &str, role: Role) -> Result<User> {
        actor.require(Role::Admin, "add users")?;
        let name = check_name(name)?;
        let now = now_ms();
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(|e| Error::from_db("add a user", e))?;
        let inserted = sqlx::query(
            "INSERT INTO users (name, role, created_at, created_by) VALUES ($1, $2, $3, $4)",
        )
        .bind(name)
        .bind(role.as_str())
        .bind(now)
        .bind(&actor.name)
        .execute(&mut *tx)
        .await;
        if let Err(error) = inserted {
            return Err(if is_unique_violation(&error) {
                Error::Exists {
                    kind: "user",
                    name: name.to_string(),
                }
            } else {
                Error::from_db("add a user", error)
            });
        }
        record(
            &mut tx,
            actor,
            "user.add",
            "user",
            name,
            &format!("role {}", role.as_str()),
        )
        .await?;
        tx.commit()
            .await
            .map_err(|e| Error::from_db("add a user", e))?;
        Ok(User {
            name: name.to_string(),
            role,
            created_at: timestamp(now),
            created_by: actor.name.clone(),
            tokens: Vec::new(),
        })
    }

    /// Every user, by name, with their tokens.
    pub async fn users(&self, actor: &Actor) -> Result<Vec<User>> {
        actor.require(Role::Admin, "list users")?;
        let rows =
            sqlx::query("SELECT id, name, role, created_at, created_by FROM users ORDER BY name")
                .fetch_all(&self.pool)
                .await
                .map_err(|e| Error::from_db("read users", e))?;
        let tokens =
            sqlx::query("SELECT id, user_id, label, prefix, created_at FROM tokens ORDER BY id")
                .fetch_all(&self.pool)
                .await
                .map_err(|e| Error::from_db("read tokens", e))?;
        let mut users = Vec::with_capacity(rows.len());
        for row in rows {
            let id: i64 = get(&row, "id")?;
            let mut user = User {
                name: get(&row, "name")?,
                role: Role::parse(&get::<String>(&row, "role")?)?,
                created_at: timestamp(get(&row, "created_at")?),
                created_by: get(&row, "created_by")?,
                tokens: Vec::new(),
            };
            for token in &tokens {
                if get::<i64>(token, "user_id")? == id {
                    user.tokens.push(token_info(token)?);
                }
            }
            users.push(user);
        }
        Ok(users)
    }

    /// Removes a user and their tokens.
    pub async fn remove_user(&self, actor: &Actor, name: &str) -> Result<()> {
        actor.require(Role::Admin, "remove users")?;
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(|e| Error::from_db("remove a user", e))?;
        let id: Option<i64> = sqlx::query("SELECT id FROM users WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| Error::from_db("remove a user", e))?
            .map(|r| get(&r, "id"))
            .transpose()?;
        let Some(id) = id else {
            return Err(Error::NotFound {
                kind: "user",
                id: name.to_string(),
            });
        };
        for sql in [
            "DELETE FROM tokens WHERE user_id = $1",
            "DELETE FROM users WHERE id = $1",
        ] {
            sqlx::query(sql)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(|e| Error::from_db("remove a user", e))?;
        }
        record(&mut tx, actor, "user.remove", "user", name, "").await?;
        tx.commit()
            .await
            .map_err(|e| Error::from_db("remove a user", e))
    }

    /// Issues a token for `user` (admins for anyone, a user for themselves). The secret is in
    /// the answer only.
    pub async fn issue_token(&self, actor: &Actor, user: &str, label: &str) -> Result<IssuedToken> {
        if actor.name != user {
            actor.require(Role::Admin, "issue tokens for others")?;
        }
        let mut random = [0u8; 32];
        getrandom::getrandom(&mut random)
            .map_err(|e| Error::Database(format!("no random numbers for a token: {e}")))?;
        let secret = format!("{TOKEN_PREFIX}{}", hex(&random));
        let prefix: String = secret.chars().take(TOKEN_PREFIX.len() + 6).collect();
        let label = if label.trim().is_empty() {
            "token"
        } else {
            label.trim()
        };
        let now = now_ms();
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(|e| Error::from_db("issue a token", e))?;
        let row = sqlx::query(
            "INSERT INTO tokens (user_id, label, prefix, hash, created_at) \
             SELECT id, $2, $3, $4, $5 FROM users WHERE name = $1 RETURNING id",
        )
        .bind(user)
        .bind(label)
        .bind(&prefix)
        .bind(token_hash(&secret))
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| Error::from_db("issue a token", e))?;
        let Some(row) = row else {
            return Err(Error::NotFound {
                kind: "user",
                id: user.to_string(),
            });
        };
        let id: i64 = get(&row, "id")?;
        record(
            &mut tx,
            actor,
            "token.issue",
            "user",
            user,
            &format!("token {id} ({label})"),
        )
        .await?;
        tx.commit()
            .await
            .map_err(|e| Error::from_db("issue a token", e))?;
        Ok(IssuedToken {
            user: user.to_string(),
            token: TokenInfo {
                id,
                label: label.to_string(),
                prefix,
                created_at: timestamp(now),
            },
            secret,
        })
    }

    /// Revokes token `id` of `user`.
    pub async fn revoke_token(&self, actor: &Actor, user: &str, id: i64) -> Result<()> {
        if actor.name != user {
            actor.require(Role::Admin, "revoke tokens of others")?;
        }
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(|e| Error::from_db("revoke a token", e))?;
        let done = sqlx::query(
            "DELETE FROM tokens WHERE id = $1 AND user_id = (SELECT id FROM users WHERE name = $2)",
        )
        .bind(id)
        .bind(user)
        .execute(&mut *tx)
        .await
        .map_err(|e| Error::from_db("revoke a token", e))?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound {
                kind: "token",
                id: format!("{id} of {user}"),
            });
        }
        record(
            &mut tx,
            actor,
            "token.revoke",
            "user",
            user,
            &format!("token {id}"),
        )
        .await?;
        tx.commit()
            .await
            .map_err(|e| Error::from_db("revoke a token", e))
    }

    /// The user a token belongs to; `None` for a token the workspace does not know.
    pub async fn authenticate(&self, secret: &str) -> Result<Option<Actor>> {
        if !secret.trim().starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT users.name AS name, users.role AS role FROM tokens \
             JOIN users ON users.id = tokens.user_id WHERE tokens.hash = $1",
        )
        .bind(token_hash(secret))
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| Error::from_db("check a token", e))?;
        row.map(|row| {
            Ok(Actor {
                name: get(&row, "name")?,
                role: Role::parse(&get::<String>(&row, "role")?)?,
            })
        })
        .transpose()
    }
}

fn token_info(row: &sqlx::any::AnyRow) -> Result<TokenInfo> {
    Ok(TokenInfo {
        id: get(row, "id")?,
        label: get(row, "label")?,
        prefix: get(row, "prefix")?,
        created_at: timestamp(get(row, "created_at")?),
    })
}

/// Column `name` of `row`.
pub(crate) fn get<'r, T>(row: &'r sqlx::any::AnyRow, name: &str) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(name)
        .map_err(|e| Error::Database(format!("column {name}: {e}")))
}
