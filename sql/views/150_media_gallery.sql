-- One row per media item, ready for a BI gallery: run, key, step, item, kind, caption, source.
-- Answers: what did each run log as images, audio, video, text, ...? Show src in an image cell.
-- Reads: media, runs.
-- Deleted runs: EXCLUDED.
-- src is the local copy (path, relative to the warehouse's folder) when the file was downloaded
-- (pull --media download), else the URL the source gave: presigned URLs expire (often within
-- hours), so a gallery meant to last reads downloaded files. kind: image, audio, video, text,
-- html, object3d, molecule, echarts, table, other.
CREATE OR REPLACE VIEW media_gallery AS
SELECT
    m.source,
    m.project,
    m.run_id,
    r.name AS run_name,
    r.state,
    m.key,
    m.step,
    m.idx,
    m.kind,
    m.caption,
    coalesce(m.path, m.url) AS src,
    m.path IS NOT NULL AS downloaded,
    m.path,
    m.url,
    m.content_type,
    m.bytes,
    m.sha256,
    m.synced_at
FROM media AS m
JOIN runs AS r
    ON r.source = m.source AND r.project = m.project AND r.run_id = m.run_id
WHERE r.deleted_at IS NULL;
