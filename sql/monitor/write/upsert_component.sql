INSERT INTO status_components (provider_id, component_id, name, status, description, group_id, is_group, position, updated_at, checked_at)
VALUES ($provider_id, $component_id, $name, $status, $description, $group_id, $is_group, $position, $updated_at, $checked_at)
ON CONFLICT (provider_id, component_id) DO UPDATE SET
    name = excluded.name, status = excluded.status, description = excluded.description, group_id = excluded.group_id,
    is_group = excluded.is_group, position = excluded.position, updated_at = excluded.updated_at, checked_at = excluded.checked_at
