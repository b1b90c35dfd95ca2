# Pipeline state that survives a redeploy: VELO_DATA_DIR of the code location (dlt pipeline
# state and incremental cursors, dbt artifacts, the serving DB) on EFS instead of the task's
# ephemeral storage. Without it every deploy re-appended all FX history and re-read every
# landing file. Only the Dagster task reaches it, through one access point as the image's user.

resource "aws_efs_file_system" "velo_data" {
  creation_token   = "${local.name}-velo-data"
  encrypted        = true
  kms_key_id       = aws_kms_key.velo.arn
  performance_mode = "generalPurpose"
  throughput_mode  = "elastic"
  tags             = { Name = "${local.name}-velo-data" }
}

resource "aws_efs_backup_policy" "velo_data" {
  file_system_id = aws_efs_file_system.velo_data.id
  backup_policy {
    status = "ENABLED"
  }
}

resource "aws_efs_access_point" "velo_data" {
  file_system_id = aws_efs_file_system.velo_data.id
  posix_user {
    uid = local.velo_uid
    gid = local.velo_uid
  }
  root_directory {
    path = "/velo-data"
    creation_info {
      owner_uid   = local.velo_uid
      owner_gid   = local.velo_uid
      permissions = "0750"
    }
  }
}

resource "aws_security_group" "efs" {
  name        = "${local.name}-efs"
  description = "Pipeline state on EFS: NFS from the Dagster task only"
  vpc_id      = local.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "efs_from_dagster" {
  security_group_id            = aws_security_group.efs.id
  description                  = "NFS from the Dagster task"
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
  referenced_security_group_id = aws_security_group.dagster.id
}

resource "aws_vpc_security_group_egress_rule" "dagster_efs" {
  security_group_id            = aws_security_group.dagster.id
  description                  = "NFS to the pipeline state"
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
  referenced_security_group_id = aws_security_group.efs.id
}

resource "aws_efs_mount_target" "velo_data" {
  for_each        = toset(local.private_subnet_ids)
  file_system_id  = aws_efs_file_system.velo_data.id
  subnet_id       = each.value
  security_groups = [aws_security_group.efs.id]
}
