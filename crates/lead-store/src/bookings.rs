//! Each lead's booking record: the `BookingRepository` port, one row per lead with the record as
//! JSON and an optimistic version.

use async_trait::async_trait;
use lead_domain::booking::{BookingRecord, BookingRepository};
use lead_domain::ids::{LeadId, TenantId};
use lead_domain::ports::StoreError;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use crate::SeaOrmStore;
use crate::codec::{from_json, to_json, ts};
use crate::entity::bookings;
use crate::error::{Context, Failure, classify};

fn record_of(row: bookings::Model) -> Result<BookingRecord, StoreError> {
    let mut record: BookingRecord = from_json("booking", row.record)?;
    record.version = row.version;
    Ok(record)
}

#[async_trait]
impl BookingRepository for SeaOrmStore {
    async fn booking_of_lead(
        &self,
        tenant: TenantId,
        lead: LeadId,
    ) -> Result<Option<BookingRecord>, StoreError> {
        bookings::Entity::find()
            .filter(bookings::Column::TenantId.eq(tenant.as_uuid()))
            .filter(bookings::Column::LeadId.eq(lead.as_uuid()))
            .one(self.db())
            .await
            .context("loading a booking")?
            .map(record_of)
            .transpose()
    }

    async fn booking_by_uid(
        &self,
        tenant: TenantId,
        uid: &str,
    ) -> Result<Option<BookingRecord>, StoreError> {
        bookings::Entity::find()
            .filter(bookings::Column::TenantId.eq(tenant.as_uuid()))
            .filter(bookings::Column::Uid.eq(uid))
            .one(self.db())
            .await
            .context("finding a booking by uid")?
            .map(record_of)
            .transpose()
    }

    async fn save_booking(&self, record: &BookingRecord) -> Result<BookingRecord, StoreError> {
        let mut saved = record.clone();
        saved.version = record.version + 1;
        let json = to_json("booking", &saved)?;
        if record.version == 0 {
            let row = bookings::ActiveModel {
                tenant_id: Set(record.tenant_id.as_uuid()),
                lead_id: Set(record.lead_id.as_uuid()),
                status: Set(record.status.as_str().to_owned()),
                uid: Set(record.uid.clone()),
                record: Set(json),
                version: Set(saved.version),
                created_at: Set(ts(record.created_at)),
                updated_at: Set(ts(record.updated_at)),
            };
            return match bookings::Entity::insert(row)
                .exec_without_returning(self.db())
                .await
            {
                Ok(_) => Ok(saved),
                Err(e) if classify(&e) == Failure::Unique => Err(StoreError::Stale(
                    "the booking was created by another turn".to_owned(),
                )),
                Err(e) => Err(e).context("creating a booking"),
            };
        }
        let result = bookings::Entity::update_many()
            .col_expr(
                bookings::Column::Status,
                Expr::value(record.status.as_str()),
            )
            .col_expr(bookings::Column::Uid, Expr::value(record.uid.clone()))
            .col_expr(bookings::Column::Record, Expr::value(json))
            .col_expr(bookings::Column::Version, Expr::value(saved.version))
            .col_expr(
                bookings::Column::UpdatedAt,
                Expr::value(ts(record.updated_at)),
            )
            .filter(bookings::Column::TenantId.eq(record.tenant_id.as_uuid()))
            .filter(bookings::Column::LeadId.eq(record.lead_id.as_uuid()))
            .filter(bookings::Column::Version.eq(record.version))
            .exec(self.db())
            .await
            .context("saving a booking")?;
        if result.rows_affected == 0 {
            return Err(StoreError::Stale(
                "the booking changed since it was read".to_owned(),
            ));
        }
        Ok(saved)
    }
}
