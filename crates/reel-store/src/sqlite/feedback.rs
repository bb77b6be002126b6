//! Viewers' verdicts on replays ([`FeedbackStore`]).

use async_trait::async_trait;
use rusqlite::params;

use super::{SqliteStore, replay_row};
use crate::{Feedback, FeedbackStore, ReplayId, Result, User};

#[async_trait]
impl FeedbackStore for SqliteStore {
    async fn add_feedback(
        &self,
        project_id: i64,
        replay: &ReplayId,
        user_id: i64,
        rating: &str,
        comment: Option<String>,
        now_ms: i64,
    ) -> Result<Option<Feedback>> {
        let (replay, rating) = (replay.clone(), rating.to_owned());
        self.write(move |c| {
            let tx = c.transaction()?;
            let Some(row) = replay_row(&tx, project_id, &replay)? else {
                return Ok(None);
            };
            tx.execute(
                "INSERT INTO replay_feedback (session_row, user_id, rating, comment, created_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![row, user_id, rating, comment, now_ms],
            )?;
            let id = tx.last_insert_rowid();
            let email: String = tx.query_row(
                "SELECT email FROM users WHERE id = ?1",
                params![user_id],
                |r| r.get(0),
            )?;
            tx.commit()?;
            Ok(Some(Feedback {
                id,
                replay_id: replay,
                user: User { id: user_id, email },
                rating,
                comment,
                created_ms: now_ms,
            }))
        })
        .await
    }

    async fn feedback(&self, project_id: i64, limit: usize) -> Result<Vec<Feedback>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT f.id, s.replay_key, u.email, f.rating, f.comment, f.created_ms, u.id
                 FROM replay_feedback f JOIN sessions s ON s.id = f.session_row
                 JOIN users u ON u.id = f.user_id
                 WHERE s.project_id = ?1 ORDER BY f.created_ms DESC, f.id DESC LIMIT ?2",
            )?;
            let rows = stmt
                .query_map(params![project_id, limit as i64], |r| {
                    Ok(Feedback {
                        id: r.get(0)?,
                        replay_id: ReplayId::from_stored(r.get(1)?),
                        user: User {
                            id: r.get(6)?,
                            email: r.get(2)?,
                        },
                        rating: r.get(3)?,
                        comment: r.get(4)?,
                        created_ms: r.get(5)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }
}
