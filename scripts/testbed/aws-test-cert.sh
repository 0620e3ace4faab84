#!/usr/bin/env bash
# A throwaway CA and a certificate for the AWS names aws-connect-proxy.py
# answers (ECR and STS in us-east-1), valid for a day, for peers (ESO) that
# cannot be pointed at moto's plain-HTTP endpoint. Writes DIR/ca.crt (for
# AWS_CA_BUNDLE), DIR/aws.crt and DIR/aws.key (for the proxy); the keys stay
# in DIR.
#
#   scripts/testbed/aws-test-cert.sh DIR
set -euo pipefail
DIR=${1:?usage: aws-test-cert.sh DIR}
mkdir -p "$DIR"
umask 077
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=ecrhelm-testbed-ca \
  -keyout "$DIR/ca.key" -out "$DIR/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=api.ecr.us-east-1.amazonaws.com \
  -keyout "$DIR/aws.key" -out "$DIR/aws.csr" 2>/dev/null
printf 'subjectAltName=DNS:api.ecr.us-east-1.amazonaws.com,DNS:sts.amazonaws.com,DNS:sts.us-east-1.amazonaws.com\n' >"$DIR/san.ext"
openssl x509 -req -in "$DIR/aws.csr" -CA "$DIR/ca.crt" -CAkey "$DIR/ca.key" -CAcreateserial -days 1 \
  -extfile "$DIR/san.ext" -out "$DIR/aws.crt" 2>/dev/null
chmod 0644 "$DIR/ca.crt" "$DIR/aws.crt"
